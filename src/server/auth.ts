/**
 * Who is asking. Staff (agents, owners, admins) are identified by `Authorization: Bearer <token>` or by the
 * workspace's session cookie (HttpOnly, SameSite=Strict); with the cookie, every request that changes something must
 * also carry the session's CSRF token in `X-CSRF-Token`. Customers are identified per conversation by the token
 * returned when it was created (`X-Conversation-Token`); a conversation id alone opens nothing.
 *
 * Checks run as route `onRequest` hooks, after the rate limit and before the body is read or validated, so a request
 * without credentials gets 401 (and one with the wrong role 403) whatever it sends.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { can, sameSecret, sha256, type Accounts, type Capability } from '../accounts/index.ts';
import { KefuError } from '../errors/index.ts';
import type { RecordsStore, UserRecord } from '../records/types.ts';

export const SESSION_COOKIE = 'kefu_session';
export const CONVERSATION_TOKEN_HEADER = 'x-conversation-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface StaffIdentity {
  user: UserRecord;
  via: 'bearer' | 'session';
  sessionId?: string;
  csrfToken?: string;
}

const identities = new WeakMap<FastifyRequest, StaffIdentity>();

/** The staff member a route's hook let in (routes behind `requireStaff` always have one). */
export function staffOf(request: FastifyRequest): StaffIdentity {
  const identity = identities.get(request);
  if (!identity) throw new KefuError('AUTH_REQUIRED', { detail: 'no credentials' });
  return identity;
}

/** One cookie's value from the Cookie header. */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return decodeURIComponent(part.slice(index + 1).trim());
  }
  return undefined;
}

/** The Set-Cookie value of the session cookie (`maxAgeSeconds` 0 clears it). */
export function sessionCookie(options: { value: string; maxAgeSeconds: number; secure: boolean }): string {
  return [
    `${SESSION_COOKIE}=${encodeURIComponent(options.value)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${options.maxAgeSeconds}`,
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  return /^Bearer[ ]+(\S+)\s*$/i.exec(header)?.[1] ?? '';
}

/**
 * An `onRequest` hook letting in staff whose role has `capability` (or any staff member when it is undefined).
 *
 * @example
 *   app.get('/api/agent/conversations', { onRequest: requireStaff({ accounts, capability: 'conversations' }) }, handler);
 */
export function requireStaff(options: { accounts: Accounts; capability?: Capability }) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    let identity: StaffIdentity | undefined;
    const token = bearerToken(request);
    if (token !== undefined) {
      const user = token ? await options.accounts.authenticateToken(token) : undefined;
      if (!user) throw new KefuError('AUTH_INVALID');
      identity = { user, via: 'bearer' };
    } else {
      const sessionId = readCookie(request, SESSION_COOKIE);
      const session = sessionId ? await options.accounts.session(sessionId) : undefined;
      if (!session || !sessionId) throw new KefuError('AUTH_REQUIRED', { detail: sessionId ? 'your session has ended' : 'no credentials were sent' });
      identity = { user: session.user, via: 'session', sessionId, csrfToken: session.csrfToken };
      if (!SAFE_METHODS.has(request.method)) {
        const sent = request.headers['x-csrf-token'];
        if (typeof sent !== 'string' || !sameSecret(sent, session.csrfToken)) throw new KefuError('CSRF_INVALID');
      }
    }
    if (options.capability && !can(identity.user.role, options.capability)) {
      throw new KefuError('AUTH_FORBIDDEN', { detail: `${identity.user.role} accounts cannot use ${request.routeOptions.url ?? request.url}` });
    }
    identities.set(request, identity);
  };
}

/**
 * Checks the customer's conversation token: 401 without it, 404 for an unknown conversation, 403 when it does not
 * open this conversation (also for conversations made before tokens existed, which no token opens).
 *
 * @example
 *   await checkConversationToken({ records, request, conversationId });
 */
export async function checkConversationToken(options: { records: RecordsStore; request: FastifyRequest; conversationId: string }): Promise<void> {
  const sent = options.request.headers[CONVERSATION_TOKEN_HEADER];
  if (typeof sent !== 'string' || sent.trim() === '') {
    throw new KefuError('CONVERSATION_TOKEN_REQUIRED', { detail: `send the ${CONVERSATION_TOKEN_HEADER} header` });
  }
  const conversation = await options.records.getConversation(options.conversationId);
  if (!conversation) throw new KefuError('CONVERSATION_NOT_FOUND', { detail: options.conversationId });
  const stored = await options.records.conversationTokenHash(options.conversationId);
  // Compared as hashes of equal length, in constant time.
  if (!stored || !sameSecret(sha256(sent.trim()), stored)) throw new KefuError('CONVERSATION_TOKEN_INVALID');
}
