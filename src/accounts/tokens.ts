/**
 * Sign-in tokens: `kefu_<id>_<secret>`. The id finds the account without the secret; only an scrypt hash of the
 * secret is stored (node:crypto, salted, parameters kept with the hash so they can be raised later). Session ids and
 * conversation tokens are random too but are looked up by a SHA-256 of the value: 32 random bytes need no slow hash
 * to resist guessing, and they are checked on every request.
 */
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const PREFIX = 'kefu';
/** scrypt cost (N = 2^14, r = 8, p = 1: OWASP's minimum for scrypt; ~16 MB and tens of ms per check). */
const COST = { N: 16_384, r: 8, p: 1 };
const KEY_LENGTH = 32;

function scrypt(secret: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(secret, salt, KEY_LENGTH, { ...options, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function randomText(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export interface NewToken {
  /** The whole token, shown once to the person. */
  token: string;
  tokenId: string;
  secret: string;
}

/**
 * A new sign-in token.
 *
 * @example
 *   const { token, tokenId, secret } = newToken(); // token = 'kefu_3fZ…_q8L…'
 */
export function newToken(): NewToken {
  // base64url may contain '_' and '-': the id is hex so the token splits unambiguously at its first two '_'.
  const tokenId = randomBytes(8).toString('hex');
  const secret = randomText(32);
  return { token: `${PREFIX}_${tokenId}_${secret}`, tokenId, secret };
}

/** The id and secret of a token, or undefined when it is not one of ours. */
export function parseToken(token: string): { tokenId: string; secret: string } | undefined {
  const match = /^kefu_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})$/.exec(token.trim());
  return match ? { tokenId: match[1] ?? '', secret: match[2] ?? '' } : undefined;
}

/**
 * The stored form of a secret: `scrypt$N$r$p$salt$hash`.
 *
 * @example
 *   const stored = await hashSecret(secret); // 'scrypt$16384$8$1$…$…'
 */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(secret, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** True when `secret` matches the stored hash (compared in constant time). */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(secret, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A stored hash no secret matches, checked for unknown names so they take as long as known ones. */
export const DECOY_HASH = `scrypt$${COST.N}$${COST.r}$${COST.p}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEY_LENGTH).toString('base64url')}`;

/** A random value for session ids, CSRF tokens and conversation tokens. */
export function randomSecret(bytes = 32): string {
  return randomText(bytes);
}

/** SHA-256 (hex) of a high-entropy value, for look-ups by hash. */
export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Compares two strings in constant time (after hashing, so lengths do not leak either). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
