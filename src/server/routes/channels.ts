/**
 * The channel API: front ends other than the web chat (an app backend, a mini-program backend, another chat tool).
 *
 * - Owners and admins register channels (`/api/admin/channels`): the reply carries the channel's token and webhook
 *   secret, once.
 * - The channel's backend, with `Authorization: Bearer <channel token>` (never a customer's token), posts its users'
 *   messages (`POST /api/channels/messages`) and gets kefu's answer in the reply; what people and kefu's notices say
 *   later, and state changes, arrive by signed webhook (src/channels/outbox.ts) or on the channel's live stream
 *   (`GET /api/channels/events`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { can, type Accounts } from '../../accounts/index.ts';
import type { ChannelService } from '../../channels/index.ts';
import type { Config } from '../../config/index.ts';
import { KefuError } from '../../errors/index.ts';
import type { ChannelRecord, RecordsStore } from '../../records/types.ts';
import type { KefuApp } from '../app.ts';
import { requireStaff, staffOf } from '../auth.ts';
import {
  ChannelDeliveriesResponse,
  ChannelMessageResponse,
  ChannelNameParams,
  ChannelsResponse,
  ChannelTokenResponse,
  ChannelUpdateRequest,
  ChannelView,
  NewChannelRequest,
  channelMessageRequestSchema,
} from '../channel-schemas.ts';
import type { LiveStreams } from '../live.ts';
import { errorResponses, STAFF_SECURITY } from '../schemas.ts';

export interface ChannelRouteDependencies {
  app: KefuApp;
  config: Config;
  records: RecordsStore;
  accounts: Accounts;
  channels: ChannelService;
  live: LiveStreams;
}

const errors = errorResponses(400, 401, 403, 404, 409, 429);
const staffSecurity = STAFF_SECURITY;
const channelSecurity: Array<Record<string, string[]>> = [{ channelToken: [] }];

const channelsOfRequests = new WeakMap<FastifyRequest, ChannelRecord>();

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header ? /^Bearer[ ]+(\S+)\s*$/i.exec(header)?.[1] : undefined;
}

export function registerChannelRoutes({ app, config, records, channels, accounts, live }: ChannelRouteDependencies): void {
  // Owners (knowledge) and admins (administration) manage channels.
  const staff = requireStaff({ accounts });
  const manager = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await staff(request, reply);
    const { role } = staffOf(request).user;
    if (!can(role, 'administration') && !can(role, 'knowledge')) throw new KefuError('AUTH_FORBIDDEN', { detail: `${role} accounts cannot manage channels` });
  };
  // A channel's backend, by its token (checked before the body is read).
  const channelOnly = async (request: FastifyRequest): Promise<void> => {
    channelsOfRequests.set(request, await channels.authenticate(bearerToken(request)));
  };
  const channelOf = (request: FastifyRequest): ChannelRecord => {
    const channel = channelsOfRequests.get(request);
    if (!channel) throw new KefuError('CHANNEL_TOKEN_INVALID');
    return channel;
  };
  // A backend speaks for many customers from one address: the channel routes get their own, larger limit.
  const rateLimit = { max: config.channels.rateLimitPerMinute, timeWindow: 60_000 };

  app.get('/api/admin/channels', { onRequest: manager, schema: { tags: ['channels'], summary: 'Registered channels', security: staffSecurity, response: { 200: ChannelsResponse, ...errors } } }, async () => ({
    channels: await channels.list(),
  }));

  app.post(
    '/api/admin/channels',
    {
      onRequest: manager,
      schema: { tags: ['channels'], summary: 'Register a channel; its token and webhook secret are in the reply, once', security: staffSecurity, body: NewChannelRequest, response: { 201: ChannelTokenResponse, ...errors } },
    },
    async (request, reply) => {
      const registered = await channels.register({ ...request.body, by: staffOf(request).user.name });
      request.log.info({ channel: registered.channel.name, kind: registered.channel.kind, by: staffOf(request).user.name }, 'channel registered');
      return reply.status(201).header('cache-control', 'no-store').send(registered);
    },
  );

  app.patch(
    '/api/admin/channels/:name',
    {
      onRequest: manager,
      schema: { tags: ['channels'], summary: 'Change a channel\'s webhook URL, or disable / enable it', security: staffSecurity, params: ChannelNameParams, body: ChannelUpdateRequest, response: { 200: ChannelView, ...errors } },
    },
    async (request) => {
      const updated = await channels.update({ name: request.params.name, ...request.body });
      request.log.info({ channel: updated.name, disabled: updated.disabled, by: staffOf(request).user.name }, 'channel changed');
      return updated;
    },
  );

  app.post(
    '/api/admin/channels/:name/reset',
    {
      onRequest: manager,
      schema: { tags: ['channels'], summary: 'Issue a new channel token (the old one stops working at once); the token is in the reply, once', security: staffSecurity, params: ChannelNameParams, response: { 200: ChannelTokenResponse, ...errors } },
    },
    async (request, reply) => {
      const reset = await channels.resetToken(request.params.name);
      request.log.info({ channel: reset.channel.name, by: staffOf(request).user.name }, 'channel token reset');
      return reply.header('cache-control', 'no-store').send(reset);
    },
  );

  app.get(
    '/api/admin/channels/:name/deliveries',
    {
      onRequest: manager,
      schema: { tags: ['channels'], summary: 'What was sent to the channel (webhooks or WeChat messages), newest first, with every failure', security: staffSecurity, params: ChannelNameParams, response: { 200: ChannelDeliveriesResponse, ...errors } },
    },
    async (request) => {
      const channel = await channels.get(request.params.name);
      return { deliveries: await records.listChannelDeliveries({ channelId: channel.id, limit: 200 }) };
    },
  );

  app.post(
    '/api/channels/messages',
    {
      onRequest: channelOnly,
      config: { rateLimit },
      schema: {
        tags: ['channels'],
        summary: 'A customer message from the channel\'s user; the answer is in the reply',
        description:
          'kefu keeps one conversation per channel and `externalUserId` (a new one after an agent resolved the last, or after KEFU_CHANNEL_IDLE_HOURS quiet with kefu). ' +
          'While people have the conversation the message goes to them (`routed: true`). A repeat of a `messageId` returns the first answer (`duplicate: true`); ' +
          'one still being answered in another process answers 409 CHANNEL_MESSAGE_PENDING. Agent replies, notices (the hand-over included) and state changes arrive by webhook or on GET /api/channels/events.',
        security: channelSecurity,
        body: channelMessageRequestSchema(config.server.maxQuestionChars),
        response: { 200: ChannelMessageResponse, ...errors, 413: { $ref: 'ErrorBody#' }, 500: { $ref: 'ErrorBody#' } },
      },
    },
    async (request) => {
      const { externalUserId, text, messageId } = request.body;
      return channels.inbound({ channel: channelOf(request), externalUserId, text, ...(messageId ? { messageId } : {}) });
    },
  );

  app.get(
    '/api/channels/events',
    {
      onRequest: channelOnly,
      config: { rateLimit },
      schema: {
        tags: ['channels'],
        summary: 'Live stream (SSE) of what the channel\'s users hear outside their turns',
        description:
          'Events `message.created` and `conversation.state`, each with the body a webhook gets (id, type, createdAt, channel, externalUserId, conversationId, message | state) and its log seq as the SSE id; ' +
          'send Last-Event-ID to replay what was missed. Heartbeat comments keep it open.',
        security: channelSecurity,
      },
    },
    async (request, reply) => live.channel(request, reply, channelOf(request)),
  );
}
