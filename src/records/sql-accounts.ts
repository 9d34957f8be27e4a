/**
 * Staff accounts, sign-in sessions, failed sign-in counts and quick replies over any `SqlDatabase`. Only hashes of
 * tokens and session ids are stored (`src/accounts` makes and checks them); a CSRF token is stored as it is, since
 * it is only useful together with the session cookie.
 */
import { randomUUID } from 'node:crypto';
import { KefuError } from '../errors/index.ts';
import { optionalText, text, type SqlDatabase, type SqlRow } from './sql-database.ts';
import type { QuickReplyRecord, RecordsStore, SignInAttempts, UserCredential, UserRecord, UserRole } from './types.ts';

function toUser(row: SqlRow): UserRecord {
  const user: UserRecord = {
    id: text(row.id),
    name: text(row.name),
    displayName: text(row.display_name),
    role: text(row.role) as UserRole,
    disabled: Number(row.disabled) === 1,
    createdAt: text(row.created_at),
    tokenIssuedAt: text(row.token_issued_at),
  };
  const lastSeenAt = optionalText(row.last_seen_at);
  if (lastSeenAt !== undefined) user.lastSeenAt = lastSeenAt;
  return user;
}

function toCredential(row: SqlRow): UserCredential {
  return { user: toUser(row), tokenId: text(row.token_id), tokenHash: text(row.token_hash) };
}

function toQuickReply(row: SqlRow): QuickReplyRecord {
  const reply: QuickReplyRecord = { id: text(row.id), team: text(row.team), shortcut: text(row.shortcut), text: text(row.text), updatedAt: text(row.updated_at) };
  const createdBy = optionalText(row.created_by);
  if (createdBy !== undefined) reply.createdBy = createdBy;
  return reply;
}

type AccountMethods = Pick<
  RecordsStore,
  | 'createUser'
  | 'getUser'
  | 'listUsers'
  | 'credentialByTokenId'
  | 'credentialByName'
  | 'replaceUserToken'
  | 'setUserDisabled'
  | 'touchUser'
  | 'createSession'
  | 'getSession'
  | 'deleteSession'
  | 'signInAttempts'
  | 'recordSignInFailure'
  | 'clearSignInFailures'
  | 'listQuickReplies'
  | 'saveQuickReply'
  | 'deleteQuickReply'
>;

/**
 * The accounts half of a `RecordsStore` over a migrated database.
 *
 * @example
 *   const accounts = createSqlAccounts({ database, now: () => new Date() });
 */
export function createSqlAccounts(options: { database: SqlDatabase; now: () => Date }): AccountMethods {
  const { database } = options;
  const timestamp = (): string => options.now().toISOString();

  return {
    createUser: (input) =>
      database.transaction(async (tx) => {
        const name = input.name.toLowerCase();
        if (await tx.get('SELECT 1 AS found FROM users WHERE name = ?', [name])) throw new KefuError('USER_EXISTS', { detail: name });
        const at = timestamp();
        const id = randomUUID();
        await tx.run('INSERT INTO users (id, name, display_name, role, token_id, token_hash, disabled, created_at, token_issued_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)', [
          id,
          name,
          input.displayName,
          input.role,
          input.tokenId,
          input.tokenHash,
          at,
          at,
        ]);
        return { id, name, displayName: input.displayName, role: input.role, disabled: false, createdAt: at, tokenIssuedAt: at };
      }),

    getUser: async (idOrName) => {
      const row = await database.get('SELECT * FROM users WHERE id = ? OR name = ?', [idOrName, idOrName.toLowerCase()]);
      return row ? toUser(row) : undefined;
    },

    listUsers: async () => (await database.all('SELECT * FROM users ORDER BY name')).map(toUser),

    credentialByTokenId: async (tokenId) => {
      const row = await database.get('SELECT * FROM users WHERE token_id = ?', [tokenId]);
      return row ? toCredential(row) : undefined;
    },

    credentialByName: async (name) => {
      const row = await database.get('SELECT * FROM users WHERE name = ?', [name.toLowerCase()]);
      return row ? toCredential(row) : undefined;
    },

    replaceUserToken: (input) =>
      database.transaction(async (tx) => {
        const name = input.name.toLowerCase();
        const row = await tx.get('SELECT id FROM users WHERE name = ?', [name]);
        if (!row) throw new KefuError('USER_NOT_FOUND', { detail: input.name });
        await tx.run('UPDATE users SET token_id = ?, token_hash = ?, token_issued_at = ? WHERE id = ?', [input.tokenId, input.tokenHash, timestamp(), row.id ?? '']);
        // The old token is dead, and so is every session it opened.
        await tx.run('DELETE FROM sessions WHERE user_id = ?', [row.id ?? '']);
        const updated = await tx.get('SELECT * FROM users WHERE id = ?', [row.id ?? '']);
        if (!updated) throw new KefuError('USER_NOT_FOUND', { detail: input.name });
        return toUser(updated);
      }),

    setUserDisabled: (input) =>
      database.transaction(async (tx) => {
        const name = input.name.toLowerCase();
        const row = await tx.get('SELECT id FROM users WHERE name = ?', [name]);
        if (!row) throw new KefuError('USER_NOT_FOUND', { detail: input.name });
        await tx.run('UPDATE users SET disabled = ? WHERE id = ?', [input.disabled ? 1 : 0, row.id ?? '']);
        if (input.disabled) await tx.run('DELETE FROM sessions WHERE user_id = ?', [row.id ?? '']);
        const updated = await tx.get('SELECT * FROM users WHERE id = ?', [row.id ?? '']);
        if (!updated) throw new KefuError('USER_NOT_FOUND', { detail: input.name });
        return toUser(updated);
      }),

    touchUser: async (id) => {
      await database.run('UPDATE users SET last_seen_at = ? WHERE id = ?', [timestamp(), id]);
    },

    createSession: async (input) => {
      await database.run('INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [
        input.idHash,
        input.userId,
        input.csrfToken,
        timestamp(),
        input.expiresAt,
      ]);
    },

    getSession: async (idHash) => {
      const row = await database.get(
        'SELECT s.csrf_token, s.created_at AS session_created_at, s.expires_at, u.* FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ? AND s.expires_at > ?',
        [idHash, timestamp()],
      );
      if (!row) return undefined;
      return { user: toUser(row), csrfToken: text(row.csrf_token), createdAt: text(row.session_created_at), expiresAt: text(row.expires_at) };
    },

    deleteSession: async (idHash) => {
      await database.run('DELETE FROM sessions WHERE id_hash = ?', [idHash]);
    },

    signInAttempts: async (name) => {
      const row = await database.get('SELECT failures, locked_until FROM sign_in_attempts WHERE name = ?', [name.toLowerCase()]);
      if (!row) return { failures: 0 };
      const attempts: SignInAttempts = { failures: Number(row.failures) };
      const lockedUntil = optionalText(row.locked_until);
      if (lockedUntil !== undefined && lockedUntil > timestamp()) attempts.lockedUntil = lockedUntil;
      return attempts;
    },

    recordSignInFailure: (input) =>
      database.transaction(async (tx) => {
        const name = input.name.toLowerCase();
        const now = options.now();
        const row = await tx.get('SELECT failures, locked_until FROM sign_in_attempts WHERE name = ?', [name]);
        const lockedUntil = optionalText(row?.locked_until);
        // A lock-out that has ended starts a fresh count.
        const previous = lockedUntil !== undefined && lockedUntil <= now.toISOString() ? 0 : Number(row?.failures ?? 0);
        const failures = previous + 1;
        const stillLocked = lockedUntil !== undefined && lockedUntil > now.toISOString() ? lockedUntil : undefined;
        const lock = stillLocked ?? (failures >= input.maxFailures ? new Date(now.getTime() + input.lockoutMs).toISOString() : null);
        await tx.run(
          'INSERT INTO sign_in_attempts (name, failures, locked_until, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, updated_at = excluded.updated_at',
          [name, failures, lock, now.toISOString()],
        );
        const attempts: SignInAttempts = { failures };
        if (lock) attempts.lockedUntil = lock;
        return attempts;
      }),

    clearSignInFailures: async (name) => {
      await database.run('DELETE FROM sign_in_attempts WHERE name = ?', [name.toLowerCase()]);
    },

    listQuickReplies: async (team = 'default') => (await database.all('SELECT * FROM quick_replies WHERE team = ? ORDER BY shortcut', [team])).map(toQuickReply),

    saveQuickReply: (input) =>
      database.transaction(async (tx) => {
        const team = input.team ?? 'default';
        const shortcut = input.shortcut.toLowerCase();
        const at = timestamp();
        const clash = await tx.get('SELECT id FROM quick_replies WHERE team = ? AND shortcut = ?', [team, shortcut]);
        if (clash && clash.id !== input.id) throw new KefuError('QUICK_REPLY_EXISTS', { detail: `/${shortcut}` });
        if (input.id) {
          const { changes } = await tx.run('UPDATE quick_replies SET shortcut = ?, text = ?, updated_at = ? WHERE id = ? AND team = ?', [shortcut, input.text, at, input.id, team]);
          if (changes === 0) throw new KefuError('QUICK_REPLY_NOT_FOUND', { detail: input.id });
        } else {
          await tx.run('INSERT INTO quick_replies (id, team, shortcut, text, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
            randomUUID(),
            team,
            shortcut,
            input.text,
            input.by,
            at,
            at,
          ]);
        }
        const row = await tx.get('SELECT * FROM quick_replies WHERE team = ? AND shortcut = ?', [team, shortcut]);
        if (!row) throw new KefuError('QUICK_REPLY_NOT_FOUND', { detail: shortcut });
        return toQuickReply(row);
      }),

    deleteQuickReply: async (id) => {
      const { changes } = await database.run('DELETE FROM quick_replies WHERE id = ?', [id]);
      if (changes === 0) throw new KefuError('QUICK_REPLY_NOT_FOUND', { detail: id });
    },
  };
}
