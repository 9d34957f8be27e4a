/** Live events (bus, presence) and outgoing webhooks. See README.md. */
export { createMemoryBus, type EventBus, type LiveListener, type LiveSignal } from './bus.ts';
export { trackPresence, type Presence, type PresentAgent } from './presence.ts';
export { createWebhookWorker, signPayload, verifySignature, type WebhookSettings, type WebhookWorker } from './webhooks.ts';
export { createPostgresBus, type CreatePostgresBusOptions, type PostgresBus } from './postgres-bus.ts';
