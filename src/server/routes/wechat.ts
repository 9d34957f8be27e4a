/**
 * The WeChat Official Account endpoint (`GET`/`POST /wechat`, only when KEFU_WECHAT_TOKEN is set): the URL in the
 * account's server configuration (基本配置 → 服务器配置). The signature is checked in an `onRequest` hook, so an unsigned
 * request is refused with 403 before its body is read; the XML body parser exists only inside this plugin (every other
 * route still takes JSON only). The protocol itself is src/channels/wechat.ts.
 */
import Type from 'typebox';
import type { WechatEndpoint } from '../../channels/index.ts';
import type { Config } from '../../config/index.ts';
import { KefuError } from '../../errors/index.ts';
import type { KefuApp } from '../app.ts';
import { errorResponses } from '../schemas.ts';

export interface WechatRouteDependencies {
  app: KefuApp;
  config: Config;
  endpoint: WechatEndpoint;
}

const Query = Type.Object({
  signature: Type.Optional(Type.String({ maxLength: 100 })),
  timestamp: Type.Optional(Type.String({ maxLength: 20 })),
  nonce: Type.Optional(Type.String({ maxLength: 100 })),
  echostr: Type.Optional(Type.String({ maxLength: 1000, description: 'GET only: returned as it is when the signature is right' })),
  openid: Type.Optional(Type.String({ maxLength: 128 })),
  encrypt_type: Type.Optional(Type.String({ maxLength: 20, description: '"aes" (the encrypted mode) is not supported' })),
  msg_signature: Type.Optional(Type.String({ maxLength: 100 })),
});

const errors = errorResponses(400, 403, 413, 415);

export async function registerWechatRoutes({ app, config, endpoint }: WechatRouteDependencies): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser(['text/xml', 'application/xml', 'text/plain'], { parseAs: 'string', bodyLimit: config.server.bodyLimitBytes }, (_request, body, done) => done(null, body));
    const signed = async (request: { query: unknown }): Promise<void> => {
      if (!endpoint.signed((request.query ?? {}) as Record<string, unknown>)) throw new KefuError('WECHAT_SIGNATURE_INVALID');
    };

    scope.get(
      '/wechat',
      { onRequest: signed, schema: { tags: ['channels'], summary: 'WeChat server URL verification: echoes `echostr` when the signature is right', querystring: Query, response: errors } },
      async (request, reply) => {
        const answer = endpoint.verify(request.query as Record<string, unknown>);
        return reply.type(answer.contentType).send(answer.body);
      },
    );

    scope.post(
      '/wechat',
      {
        onRequest: signed,
        schema: {
          tags: ['channels'],
          summary: 'A message from WeChat (XML, plain-text mode); the reply is the passive reply (XML) or "success"',
          querystring: Query,
          response: errors,
        },
      },
      async (request, reply) => {
        const receivedAt = Date.now();
        if (typeof request.body !== 'string' || request.body.trim() === '') throw new KefuError('WECHAT_MESSAGE_INVALID', { detail: 'the body is empty' });
        const answer = await endpoint.receive({ query: request.query as Record<string, unknown>, body: request.body, receivedAt });
        return reply.type(answer.contentType).send(answer.body);
      },
    );
  });
}
