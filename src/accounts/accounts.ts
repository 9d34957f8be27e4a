/**
 * Staff accounts: adding users (the token is returned once), resetting and disabling them, checking a bearer token,
 * and signing in with name + token into a session with a CSRF token. Failed sign-ins are counted per name (known or
 * not, so the answer never tells whether a name exists) and lock the name for a while after too many.
 */
import { KefuError } from '../errors/index.ts';
import type { RecordsStore, UserRecord, UserRole } from '../records/types.ts';
import { isRole, ROLES } from './roles.ts';
import { DECOY_HASH, hashSecret, newToken, parseToken, randomSecret, sha256, verifySecret } from './tokens.ts';

export interface AccountSettings {
  sessionHours: number;
  signInMaxFailures: number;
  signInLockoutMinutes: number;
}

export interface SignedIn {
  user: UserRecord;
  /** Goes into the HttpOnly cookie; only its hash is stored. */
  sessionId: string;
  csrfToken: string;
  expiresAt: string;
}

export interface Accounts {
  addUser(input: { name: string; role: string; displayName?: string }): Promise<{ user: UserRecord; token: string }>;
  /** A new token for the user; the old one and every session stop working. */
  resetToken(name: string): Promise<{ user: UserRecord; token: string }>;
  setDisabled(name: string, disabled: boolean): Promise<UserRecord>;
  listUsers(): Promise<UserRecord[]>;
  /** The enabled user a bearer token belongs to, or undefined. */
  authenticateToken(token: string): Promise<UserRecord | undefined>;
  /** Throws AUTH_INVALID or AUTH_LOCKED (with `retryAfterSeconds`). */
  signIn(input: { name: string; token: string }): Promise<SignedIn>;
  /** The enabled user and CSRF token of a live session, or undefined. */
  session(sessionId: string): Promise<{ user: UserRecord; csrfToken: string } | undefined>;
  signOut(sessionId: string): Promise<void>;
}

const NAME = /^[a-z0-9][a-z0-9._-]{1,39}$/;

/** A sign-in name as stored: lower case; throws USER_INVALID for anything else than 2–40 safe characters. */
export function normaliseName(name: string): string {
  const lower = name.trim().toLowerCase();
  if (!NAME.test(lower)) throw new KefuError('USER_INVALID', { detail: `"${name}" is not a valid name` });
  return lower;
}

function displayNameFor(name: string, given: string | undefined): string {
  const display = (given ?? '').trim().replace(/\s+/g, ' ');
  if (display.length > 60) throw new KefuError('USER_INVALID', { detail: 'the display name is longer than 60 characters' });
  if (display) return display;
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Locked for this many seconds (rounded up), for Retry-After. */
function secondsUntil(iso: string, now: Date): number {
  return Math.max(1, Math.ceil((Date.parse(iso) - now.getTime()) / 1000));
}

/** An AUTH_LOCKED error carrying when to try again. */
export class SignInLocked extends KefuError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    const minutes = Math.ceil(retryAfterSeconds / 60);
    super('AUTH_LOCKED', { detail: `try again in ${minutes} minute${minutes === 1 ? '' : 's'}` });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The accounts service over the records.
 *
 * @example
 *   const accounts = createAccounts({ records, settings: config.accounts });
 *   const { token } = await accounts.addUser({ name: 'alice', role: 'agent' });
 */
export function createAccounts(options: { records: RecordsStore; settings: AccountSettings; now?: () => Date }): Accounts {
  const { records, settings } = options;
  const now = options.now ?? (() => new Date());
  /**
   * Bearer tokens verified recently: SHA-256 of the token → the stored hash it matched. A request with the same
   * token skips scrypt as long as the stored hash is unchanged (a reset changes it) and the user is enabled (read
   * from the records each time, so another process disabling the user takes effect at once).
   */
  const verified = new Map<string, string>();
  const lastTouched = new Map<string, number>();

  async function touch(user: UserRecord): Promise<void> {
    // Last seen, at most once a minute per user: a sign of life for admins, not a write per request.
    const previous = lastTouched.get(user.id) ?? 0;
    if (now().getTime() - previous < 60_000) return;
    lastTouched.set(user.id, now().getTime());
    await records.touchUser(user.id);
  }

  async function issue(): Promise<{ token: string; tokenId: string; tokenHash: string }> {
    const { token, tokenId, secret } = newToken();
    return { token, tokenId, tokenHash: await hashSecret(secret) };
  }

  return {
    async addUser(input) {
      const name = normaliseName(input.name);
      if (!isRole(input.role)) throw new KefuError('USER_INVALID', { detail: `the role "${input.role}" is none of ${ROLES.join(', ')}` });
      const { token, tokenId, tokenHash } = await issue();
      const user = await records.createUser({ name, displayName: displayNameFor(name, input.displayName), role: input.role as UserRole, tokenId, tokenHash });
      return { user, token };
    },

    async resetToken(name) {
      const { token, tokenId, tokenHash } = await issue();
      const user = await records.replaceUserToken({ name: normaliseName(name), tokenId, tokenHash });
      return { user, token };
    },

    setDisabled: (name, disabled) => records.setUserDisabled({ name: normaliseName(name), disabled }),

    listUsers: () => records.listUsers(),

    async authenticateToken(token) {
      const parsed = parseToken(token);
      if (!parsed) return undefined;
      const credential = await records.credentialByTokenId(parsed.tokenId);
      if (!credential || credential.user.disabled) return undefined;
      const key = sha256(token);
      if (verified.get(key) !== credential.tokenHash) {
        if (!(await verifySecret(parsed.secret, credential.tokenHash))) return undefined;
        if (verified.size > 1000) verified.clear();
        verified.set(key, credential.tokenHash);
      }
      await touch(credential.user);
      return credential.user;
    },

    async signIn(input) {
      const name = input.name.trim().toLowerCase().slice(0, 100);
      const attempts = await records.signInAttempts(name);
      if (attempts.lockedUntil) throw new SignInLocked(secondsUntil(attempts.lockedUntil, now()));
      const credential = NAME.test(name) ? await records.credentialByName(name) : undefined;
      const parsed = parseToken(input.token);
      // Unknown names and malformed tokens cost one scrypt too, so timing does not tell them apart.
      const matches = await verifySecret(parsed?.secret ?? 'x', credential && parsed?.tokenId === credential.tokenId ? credential.tokenHash : DECOY_HASH);
      if (!credential || !parsed || !matches || credential.user.disabled) {
        const failed = await records.recordSignInFailure({ name, maxFailures: settings.signInMaxFailures, lockoutMs: settings.signInLockoutMinutes * 60_000 });
        if (failed.lockedUntil) throw new SignInLocked(secondsUntil(failed.lockedUntil, now()));
        throw new KefuError('AUTH_INVALID');
      }
      await records.clearSignInFailures(name);
      const sessionId = randomSecret(32);
      const csrfToken = randomSecret(24);
      const expiresAt = new Date(now().getTime() + settings.sessionHours * 3_600_000).toISOString();
      await records.createSession({ idHash: sha256(sessionId), userId: credential.user.id, csrfToken, expiresAt });
      await touch(credential.user);
      return { user: credential.user, sessionId, csrfToken, expiresAt };
    },

    async session(sessionId) {
      if (!sessionId || sessionId.length > 200) return undefined;
      const session = await records.getSession(sha256(sessionId));
      if (!session || session.user.disabled) return undefined;
      await touch(session.user);
      return { user: session.user, csrfToken: session.csrfToken };
    },

    signOut: (sessionId) => records.deleteSession(sha256(sessionId)),
  };
}
