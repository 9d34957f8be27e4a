/**
 * One error handler: kefu errors keep their status and message, validation and body errors become 4xx
 * with a readable message, anything else becomes 500 INTERNAL. Every error a client sees has the shape
 * `{ error: { code, message, hint } }`, including the ones Fastify and Node answer before a route runs
 * (a bad URL encoding, oversized headers, malformed HTTP, a request that never finishes arriving).
 * From status 500 up the client gets the code and a generic message (`publicError`); the detail is logged.
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KefuError, isKefuError, publicError } from '../errors/index.ts';

interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Field names as people read them in messages. */
const FIELD_NAMES: Record<string, string> = { 'params/id': 'the conversation id', 'body/conversationId': 'conversationId', 'body/messageId': 'messageId' };

function fromValidation(error: FastifyError): KefuError {
  const issues = (error.validation ?? []) as ValidationIssue[];
  const first = issues[0];
  const where = `${error.validationContext ?? 'body'}${first?.instancePath ?? ''}`;
  const name = FIELD_NAMES[where] ?? where;
  if (where === 'body/question' && first?.keyword === 'maxLength') {
    return new KefuError('QUESTION_TOO_LONG', { detail: `the limit is ${String(first.params?.limit ?? '')} characters` });
  }
  if (where === 'body/question' && first?.keyword === 'minLength') return new KefuError('QUESTION_EMPTY');
  if (first?.keyword === 'required' && first.params?.missingProperty === 'question') return new KefuError('QUESTION_EMPTY');
  if (first?.keyword === 'additionalProperties') {
    return new KefuError('REQUEST_INVALID', { detail: `${where} has an unknown field "${String(first.params?.additionalProperty ?? '')}"` });
  }
  if (first?.keyword === 'maxLength') return new KefuError('REQUEST_INVALID', { detail: `${name} is longer than the limit of ${String(first.params?.limit ?? '')} characters` });
  if (first?.keyword === 'type') return new KefuError('REQUEST_INVALID', { detail: `${name} must be a ${String(first.params?.type ?? 'value of another type')}` });
  return new KefuError('REQUEST_INVALID', { detail: `${name} ${first?.message ?? 'is invalid'}` });
}

function tooLarge(bodyLimitBytes: number | undefined): KefuError {
  return new KefuError('REQUEST_TOO_LARGE', { detail: bodyLimitBytes ? `the limit is ${bodyLimitBytes} bytes` : 'over the limit' });
}

/** Maps anything thrown in a route or hook to the KefuError the client sees. */
export function toClientError(error: unknown, bodyLimitBytes?: number): KefuError {
  if (isKefuError(error)) return error;
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) return fromValidation(fastifyError as FastifyError);
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return tooLarge(bodyLimitBytes);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new KefuError('REQUEST_INVALID', { detail: 'the body is not valid JSON' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new KefuError('REQUEST_INVALID', { detail: 'the body is empty' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new KefuError('REQUEST_MEDIA_TYPE', { detail: 'send application/json' });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new KefuError('REQUEST_INVALID', { detail: 'the Content-Length header does not match the body' });
    case 'FST_ERR_BAD_URL':
      return new KefuError('REQUEST_INVALID', { detail: 'the URL is not validly percent-encoded' });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new KefuError('REQUEST_INVALID', { detail: 'a path segment of the URL is too long' });
    default:
      break;
  }
  const status = fastifyError.statusCode ?? 500;
  if (status === 413) return tooLarge(bodyLimitBytes);
  if (status === 415) return new KefuError('REQUEST_MEDIA_TYPE', { detail: 'send application/json' });
  if (status === 429) return new KefuError('RATE_LIMITED');
  if (status === 408) return new KefuError('REQUEST_TIMEOUT', { detail: 'the deadline passed' });
  if (status >= 400 && status < 500) return new KefuError('REQUEST_INVALID', { detail: 'the request could not be read' });
  return new KefuError('INTERNAL', { cause: error });
}

/** Logs the error (with its cause and detail for 5xx) and returns the body a client may see. */
export function reportError(options: { error: unknown; log: FastifyRequest['log']; context: Record<string, unknown>; bodyLimitBytes?: number }): {
  status: number;
  body: { error: ReturnType<typeof publicError> };
} {
  const clientError = toClientError(options.error, options.bodyLimitBytes);
  const context = { ...options.context, code: clientError.code };
  if (clientError.status >= 500) options.log.error({ ...context, err: options.error, detail: clientError.message }, 'request failed');
  else options.log.info(context, clientError.message);
  return { status: clientError.status, body: { error: publicError(clientError) } };
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = reportError({
    error,
    log: request.log,
    context: { method: request.method, route: request.routeOptions.url ?? request.url },
    bodyLimitBytes: request.routeOptions.bodyLimit,
  });
  void reply.status(status).send(body);
}

/** Errors Fastify meets before routing (a URL that is not validly percent-encoded, an over-long parameter). */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = reportError({ error, log: request.log, context: { method: request.method, url: 'unrouted' } });
  void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * Errors Node's HTTP parser meets before there is a request (malformed framing, headers over the size limit,
 * a request that did not arrive in time): answered in the same JSON shape, then the connection is closed.
 */
export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  // A reset connection is gone: nothing to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let clientError: KefuError;
  if (error.code === 'HPE_HEADER_OVERFLOW') clientError = new KefuError('REQUEST_HEADERS_TOO_LARGE');
  else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') clientError = new KefuError('REQUEST_TIMEOUT', { detail: 'the request did not arrive in time' });
  else clientError = new KefuError('REQUEST_INVALID', { detail: 'the request is not well-formed HTTP' });
  this.log.debug({ err: error, code: clientError.code }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify({ error: publicError(clientError) });
    socket.write(
      `HTTP/1.1 ${clientError.status} ${STATUS_TEXT[clientError.status] ?? 'Bad Request'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
