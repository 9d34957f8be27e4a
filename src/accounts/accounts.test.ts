import { describe, expect, it } from 'vitest';
import { openSqliteRecords } from '../records/index.ts';
import { createAccounts } from './accounts.ts';
import { can } from './roles.ts';
import { hashSecret, parseToken, verifySecret } from './tokens.ts';

const settings = { sessionHours: 1, signInMaxFailures: 5, signInLockoutMinutes: 15 };

describe('tokens', () => {
  it('stores an scrypt hash that only the secret matches', async () => {
    const stored = await hashSecret('correct horse');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(stored).not.toContain('correct horse');
    expect(await verifySecret('correct horse', stored)).toBe(true);
    expect(await verifySecret('correct horsE', stored)).toBe(false);
    expect(await verifySecret('x', 'plain')).toBe(false);
  });
});

describe('roles', () => {
  it('gives owners agent rights and keeps admins to administration', () => {
    expect(can('agent', 'conversations')).toBe(true);
    expect(can('agent', 'administration')).toBe(false);
    expect(can('owner', 'conversations')).toBe(true);
    expect(can('owner', 'reports')).toBe(true);
    expect(can('admin', 'administration')).toBe(true);
    expect(can('admin', 'conversations')).toBe(false);
  });
});

describe('accounts', () => {
  it('issues a token once, accepts it as a bearer token, and stops accepting it after a reset or when disabled', async () => {
    const records = openSqliteRecords({ path: ':memory:' });
    const accounts = createAccounts({ records, settings });
    const { user, token } = await accounts.addUser({ name: 'Alice', role: 'agent', displayName: 'Alice Wong' });
    expect(user).toMatchObject({ name: 'alice', displayName: 'Alice Wong', role: 'agent', disabled: false });
    expect(parseToken(token)).toBeDefined();
    expect((await accounts.authenticateToken(token))?.id).toBe(user.id);
    // Again (from the verified cache) and with a changed secret.
    expect((await accounts.authenticateToken(token))?.id).toBe(user.id);
    expect(await accounts.authenticateToken(`${token.slice(0, -2)}xx`)).toBeUndefined();
    expect(await accounts.authenticateToken('not a token')).toBeUndefined();

    const reset = await accounts.resetToken('alice');
    expect(await accounts.authenticateToken(token)).toBeUndefined();
    expect((await accounts.authenticateToken(reset.token))?.id).toBe(user.id);
    await accounts.setDisabled('alice', true);
    expect(await accounts.authenticateToken(reset.token)).toBeUndefined();
    await accounts.setDisabled('alice', false);
    expect((await accounts.authenticateToken(reset.token))?.id).toBe(user.id);

    await expect(accounts.addUser({ name: 'alice', role: 'agent' })).rejects.toMatchObject({ code: 'USER_EXISTS' });
    await expect(accounts.addUser({ name: 'x', role: 'agent' })).rejects.toMatchObject({ code: 'USER_INVALID' });
    await expect(accounts.addUser({ name: 'carol', role: 'boss' })).rejects.toMatchObject({ code: 'USER_INVALID', message: expect.stringContaining('agent, owner, admin') });
    await expect(accounts.resetToken('nobody')).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
    await records.close();
  });

  it('signs in into a session that expires, and signs out', async () => {
    let clock = Date.parse('2026-03-02T10:00:00Z');
    const records = openSqliteRecords({ path: ':memory:', now: () => new Date(clock) });
    const accounts = createAccounts({ records, settings, now: () => new Date(clock) });
    const { token } = await accounts.addUser({ name: 'bob', role: 'owner' });
    const signed = await accounts.signIn({ name: ' Bob ', token });
    expect(signed.user.name).toBe('bob');
    expect(signed.csrfToken.length).toBeGreaterThan(20);
    expect((await accounts.session(signed.sessionId))?.csrfToken).toBe(signed.csrfToken);
    clock += 3_600_001;
    expect(await accounts.session(signed.sessionId)).toBeUndefined();
    const again = await accounts.signIn({ name: 'bob', token });
    await accounts.signOut(again.sessionId);
    expect(await accounts.session(again.sessionId)).toBeUndefined();
    await records.close();
  });

  it('locks a name after 5 wrong sign-ins, whatever comes next, for the lock-out time: 50 wrong tries cost 5 hashes', async () => {
    let clock = Date.parse('2026-03-02T10:00:00Z');
    const records = openSqliteRecords({ path: ':memory:', now: () => new Date(clock) });
    const accounts = createAccounts({ records, settings, now: () => new Date(clock) });
    const { token } = await accounts.addUser({ name: 'carol', role: 'agent' });
    const codes: string[] = [];
    const started = Date.now();
    for (let index = 0; index < 50; index += 1) {
      const error = await accounts.signIn({ name: 'carol', token: `kefu_0000000000000000_wrong-secret-${index}-xxxxxxxx` }).catch((caught: { code: string }) => caught);
      codes.push((error as { code: string }).code);
    }
    expect(codes.slice(0, 4)).toEqual(['AUTH_INVALID', 'AUTH_INVALID', 'AUTH_INVALID', 'AUTH_INVALID']);
    expect(codes.slice(4).every((code) => code === 'AUTH_LOCKED')).toBe(true);
    console.log(`50 wrong sign-ins answered in ${Date.now() - started} ms`);
    // The right token does not open a locked name; after the lock-out it does.
    await expect(accounts.signIn({ name: 'carol', token })).rejects.toMatchObject({ code: 'AUTH_LOCKED', retryAfterSeconds: 900 });
    clock += 15 * 60_000 + 1;
    expect((await accounts.signIn({ name: 'carol', token })).user.name).toBe('carol');
    // An unknown name answers like a wrong token, and is locked alike.
    await expect(accounts.signIn({ name: 'mallory', token })).rejects.toMatchObject({ code: 'AUTH_INVALID' });
    await records.close();
  });
});
