/**
 * The admins' API (`/api/admin/*`, the `administration` capability): accounts (the same as `kefu users`), the
 * settings in force, and the webhook delivery log. 401 without credentials, 403 for any other role.
 */
import type { Accounts } from '../../accounts/index.ts';
import type { Config } from '../../config/index.ts';
import { KefuError } from '../../errors/index.ts';
import type { HandoverService } from '../../handover/index.ts';
import type { RecordsStore } from '../../records/types.ts';
import { DeliveriesQuery, DeliveriesResponse, DeliveryResponse, IdParams, NameParams, NewUserRequest, SettingsResponse, UserResponse, UsersResponse, UserTokenResponse } from '../agent-schemas.ts';
import type { KefuApp } from '../app.ts';
import { requireStaff, staffOf } from '../auth.ts';
import type { LiveStreams } from '../live.ts';
import { errorResponses, STAFF_SECURITY } from '../schemas.ts';

export interface AdminRouteDependencies {
  app: KefuApp;
  config: Config;
  records: RecordsStore;
  accounts: Accounts;
  handover: HandoverService;
  live: LiveStreams;
}

const errors = errorResponses(400, 401, 403, 404, 409, 429);
const security = STAFF_SECURITY;

export function registerAdminRoutes({ app, config, records, accounts, handover, live }: AdminRouteDependencies): void {
  const onRequest = requireStaff({ accounts, capability: 'administration' });

  app.get('/api/admin/users', { onRequest, schema: { tags: ['admin'], summary: 'Accounts', security, response: { 200: UsersResponse, ...errors } } }, async () => ({
    users: await accounts.listUsers(),
  }));

  app.post(
    '/api/admin/users',
    {
      onRequest,
      schema: { tags: ['admin'], summary: 'Add an account; the sign-in token is in the reply, once', security, body: NewUserRequest, response: { 201: UserTokenResponse, ...errors } },
    },
    async (request, reply) => {
      const created = await accounts.addUser(request.body);
      request.log.info({ user: created.user.name, role: created.user.role, by: staffOf(request).user.name }, 'account added');
      return reply.status(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.post(
    '/api/admin/users/:name/reset',
    {
      onRequest,
      schema: { tags: ['admin'], summary: 'Issue a new token (the old one and its sessions stop working); the token is in the reply, once', security, params: NameParams, response: { 200: UserTokenResponse, ...errors } },
    },
    async (request, reply) => {
      const reset = await accounts.resetToken(request.params.name);
      request.log.info({ user: reset.user.name, by: staffOf(request).user.name }, 'token reset');
      return reply.header('cache-control', 'no-store').send(reset);
    },
  );

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post(
      `/api/admin/users/:name/${action}`,
      {
        onRequest,
        schema: { tags: ['admin'], summary: disabled ? 'Disable an account (its sessions end at once)' : 'Enable an account again', security, params: NameParams, response: { 200: UserResponse, ...errors } },
      },
      async (request) => {
        const me = staffOf(request).user;
        if (disabled && me.name === request.params.name.toLowerCase()) throw new KefuError('USER_INVALID', { detail: 'you cannot disable your own account (another admin or `npx kefu users disable` can)' });
        const user = await accounts.setDisabled(request.params.name, disabled);
        request.log.info({ user: user.name, disabled, by: me.name }, 'account changed');
        return { user };
      },
    );
  }

  app.get(
    '/api/admin/settings',
    { onRequest, schema: { tags: ['admin'], summary: 'Hand-over, sign-in and webhook settings in force (set with KEFU_* variables; secrets never shown)', security, response: { 200: SettingsResponse, ...errors } } },
    async () => {
      const hours = handover.availability();
      return {
        businessHours: config.handover.businessHoursText,
        timeZone: config.handover.timeZone,
        openNow: hours.open,
        nextOpening: hours.backAt ?? null,
        firstResponseTargetMinutes: config.handover.firstResponseTargetMinutes,
        handoverAfterRefusals: config.handover.afterRefusals,
        sessionHours: config.accounts.sessionHours,
        signInMaxFailures: config.accounts.signInMaxFailures,
        signInLockoutMinutes: config.accounts.signInLockoutMinutes,
        webhookUrls: [...config.webhooks.urls],
        webhookMaxAttempts: config.webhooks.maxAttempts,
        liveStreams: live.count(),
      };
    },
  );

  app.get(
    '/api/admin/webhooks',
    {
      onRequest,
      schema: { tags: ['admin'], summary: 'The webhook delivery log, newest first (every attempt: status code, error, duration)', security, querystring: DeliveriesQuery, response: { 200: DeliveriesResponse, ...errors } },
    },
    async (request) => ({
      urls: [...config.webhooks.urls],
      deliveries: (await records.listDeliveries({ limit: 200, ...(request.query.status ? { status: request.query.status } : {}) })).map(({ payload: _payload, ...delivery }) => delivery),
    }),
  );

  app.post(
    '/api/admin/webhooks/deliveries/:id/retry',
    { onRequest, schema: { tags: ['admin'], summary: 'Send a delivery again now', security, params: IdParams, response: { 200: DeliveryResponse, ...errors } } },
    async (request) => {
      const { payload: _payload, ...delivery } = await records.retryDelivery(request.params.id);
      return { delivery };
    },
  );
}
