/** Channels: the channel API's service, the outbox, the WeChat Official Account endpoint. See README.md. */
export { createChannelService, MAX_EXTERNAL_ID_CHARS, type ChannelService, type ChannelTurnResult, type RegisteredChannel } from './service.ts';
export { channelEventBody, channelEventKind, createChannelOutbox, type ChannelEventBody, type ChannelOutbox } from './outbox.ts';
export { createWechatClient, type WechatClient } from './wechat-client.ts';
export { createWechatEndpoint, wechatText, type WechatEndpoint, type WechatResponse } from './wechat.ts';
export { checkSignature, parseXml, messageFields, textReply, wechatSignature } from './wechat-protocol.ts';
