/**
 * HTTP schemas of the channel API (a channel's backend posting its users' messages) and of its registration by owners
 * and admins. Like schemas.ts, each drives validation, serialisation and the OpenAPI document.
 */
import Type from 'typebox';
import { Citation } from '../schemas/citation.ts';
import { ConversationState } from './schemas.ts';

const MAX_ID = 128;

export const ChannelKind = Type.Union([Type.Literal('app'), Type.Literal('mini-program'), Type.Literal('chat'), Type.Literal('other'), Type.Literal('wechat')], {
  description: 'What the channel is (descriptive); `wechat` is the Official Account endpoint, registered by kefu itself',
});

export const ChannelView = Type.Object({
  id: Type.String(),
  name: Type.String({ description: 'Also the conversations\' `channel`: the KPI report counts by it' }),
  kind: ChannelKind,
  webhookUrl: Type.Optional(Type.String()),
  disabled: Type.Boolean(),
  createdAt: Type.String(),
  createdBy: Type.Optional(Type.String()),
  tokenIssuedAt: Type.String(),
});

export const ChannelsResponse = Type.Object({ channels: Type.Array(ChannelView) });

export const NewChannelRequest = Type.Object(
  {
    name: Type.String({ minLength: 2, maxLength: 40, pattern: '^[a-z0-9][a-z0-9-]*$', description: 'Lower-case letters, digits and dashes (not web, widget, api, cli or wechat)' }),
    kind: Type.Union([Type.Literal('app'), Type.Literal('mini-program'), Type.Literal('chat'), Type.Literal('other')]),
    webhookUrl: Type.Optional(Type.String({ minLength: 8, maxLength: 2000, description: 'Receives agent messages, notices and state changes, signed with the webhook secret' })),
  },
  { additionalProperties: false },
);

export const ChannelUpdateRequest = Type.Object(
  {
    webhookUrl: Type.Optional(Type.Union([Type.String({ minLength: 8, maxLength: 2000 }), Type.Null()], { description: 'null removes it' })),
    disabled: Type.Optional(Type.Boolean({ description: 'A disabled channel\'s token opens nothing and nothing is sent to it' })),
  },
  { additionalProperties: false },
);

export const ChannelTokenResponse = Type.Object({
  channel: ChannelView,
  token: Type.String({ description: 'The channel\'s API token (Authorization: Bearer): shown once, stored only as a hash' }),
  webhookSecret: Type.Optional(Type.String({ description: 'Signs the webhooks (X-Kefu-Signature, as in src/events/README.md): shown once' })),
});

export const ChannelNameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) });

export const ChannelDeliveryView = Type.Object({
  id: Type.String(),
  eventSeq: Type.Integer(),
  conversationId: Type.String(),
  externalUserId: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  nextAttemptAt: Type.String(),
  lastStatusCode: Type.Optional(Type.Integer()),
  lastError: Type.Optional(Type.String()),
  createdAt: Type.String(),
  deliveredAt: Type.Optional(Type.String()),
});

export const ChannelDeliveriesResponse = Type.Object({ deliveries: Type.Array(ChannelDeliveryView) });

export const channelMessageRequestSchema = (maxQuestionChars: number) =>
  Type.Object(
    {
      externalUserId: Type.String({ minLength: 1, maxLength: MAX_ID, description: 'Your id for the customer: kefu keeps one conversation per channel and user' }),
      text: Type.String({ minLength: 1, maxLength: maxQuestionChars, description: 'What the customer wrote' }),
      messageId: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_ID, description: 'Your id for this message: sending it again returns the first answer, never a second one' })),
    },
    { additionalProperties: false },
  );

export const ChannelMessageResponse = Type.Object({
  conversationId: Type.String(),
  externalUserId: Type.String(),
  routed: Type.Boolean({ description: 'true: people have the conversation; the message went to them and kefu did not answer (their replies arrive by webhook or stream)' }),
  state: ConversationState,
  messageId: Type.Optional(Type.String({ description: 'The customer\'s stored message (routed messages)' })),
  stored: Type.Optional(Type.Literal(false, { description: 'The records failed during the turn: the answer was given but not stored (nor handed over)' })),
  answer: Type.Optional(
    Type.Object({
      messageId: Type.Optional(Type.String({ description: 'The stored answer (absent when it could not be stored)' })),
      text: Type.String({ description: 'Markdown with [n] markers; show it as text, never as HTML' }),
      outcome: Type.String(),
      confidence: Type.Number(),
      citations: Type.Array(Citation),
      suggestions: Type.Array(Type.String()),
      language: Type.String(),
    }),
  ),
  handoff: Type.Optional(
    Type.Object({
      ticket: Type.Object({ number: Type.String(), reason: Type.String(), status: Type.String() }),
      outsideHours: Type.Optional(Type.Object({ backAt: Type.String(), backAtText: Type.String() })),
    }),
  ),
  duplicate: Type.Optional(Type.Boolean({ description: 'A repeat of an earlier messageId: the first answer again' })),
});
