/**
 * Signing in to the agent workspace: name + token → an HttpOnly, SameSite=Strict session cookie and a CSRF token
 * (sent back by the workspace as X-CSRF-Token with every change). Sign-in has its own rate limit per client on top
 * of the lock-out per name (KEFU_SIGN_IN_MAX_FAILURES, KEFU_SIGN_IN_LOCKOUT_MINUTES).
 */
import { ROLE_CAPABILITIES, SignInLocked, type Accounts } from '../../accounts/index.ts';
import type { Config } from '../../config/index.ts';
import type { UserRecord } from '../../records/types.ts';
import { SessionResponse, SignInRequest } from '../agent-schemas.ts';
import type { KefuApp } from '../app.ts';
import { readCookie, requireStaff, SESSION_COOKIE, sessionCookie, staffOf } from '../auth.ts';
import { errorResponses, STAFF_SECURITY } from '../schemas.ts';

/** Sign-in attempts per minute per client address (the per-name lock-out stops guessing one account sooner). */
const SIGN_IN_PER_MINUTE = 30;

export interface SessionRouteDependencies {
  app: KefuApp;
  config: Config;
  accounts: Accounts;
}

const errors = errorResponses(400, 401, 403, 429);

export function registerSessionRoutes({ app, config, accounts }: SessionRouteDependencies): void {
  const view = (user: UserRecord, csrfToken: string | null) => ({
    user,
    csrfToken,
    capabilities: [...ROLE_CAPABILITIES[user.role]],
    settings: {
      firstResponseTargetMinutes: config.handover.firstResponseTargetMinutes,
      maxMessageChars: config.handover.maxAgentMessageChars,
      heartbeatMs: config.live.heartbeatMs,
    },
  });

  app.post(
    '/api/session',
    {
      config: { rateLimit: { max: SIGN_IN_PER_MINUTE, timeWindow: 60_000 } },
      schema: {
        tags: ['staff'],
        summary: 'Sign in to the agent workspace (sets the session cookie)',
        description: 'Wrong name or token → 401 AUTH_INVALID; after KEFU_SIGN_IN_MAX_FAILURES failures the name is locked (429 AUTH_LOCKED with Retry-After), whatever token comes next.',
        body: SignInRequest,
        response: { 200: SessionResponse, ...errors },
      },
    },
    async (request, reply) => {
      try {
        const signed = await accounts.signIn(request.body);
        request.log.info({ user: signed.user.name }, 'signed in');
        return reply
          .header('set-cookie', sessionCookie({ value: signed.sessionId, maxAgeSeconds: config.accounts.sessionHours * 3600, secure: request.protocol === 'https' }))
          .header('cache-control', 'no-store')
          .send(view(signed.user, signed.csrfToken));
      } catch (error) {
        if (error instanceof SignInLocked) void reply.header('retry-after', String(error.retryAfterSeconds));
        request.log.info({ name: request.body.name.slice(0, 100) }, 'sign-in refused');
        throw error;
      }
    },
  );

  app.get(
    '/api/session',
    {
      onRequest: requireStaff({ accounts }),
      schema: { tags: ['staff'], summary: 'Who is signed in (and the CSRF token of the session)', security: STAFF_SECURITY, response: { 200: SessionResponse, ...errors } },
    },
    async (request, reply) => {
      const identity = staffOf(request);
      return reply.header('cache-control', 'no-store').send(view(identity.user, identity.csrfToken ?? null));
    },
  );

  app.delete(
    '/api/session',
    {
      onRequest: requireStaff({ accounts }),
      schema: { tags: ['staff'], summary: 'Sign out (ends the session)', security: [{ session: [] }], response: { 204: { type: 'null' }, ...errors } },
    },
    async (request, reply) => {
      const sessionId = readCookie(request, SESSION_COOKIE);
      if (sessionId) await accounts.signOut(sessionId);
      return reply.header('set-cookie', sessionCookie({ value: '', maxAgeSeconds: 0, secure: request.protocol === 'https' })).status(204).send(null);
    },
  );
}
