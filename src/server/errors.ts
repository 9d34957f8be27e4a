/**
 * One error handler: kefu errors keep their status and message, validation and body errors become 4xx
 * with a readable message, anything else becomes 500 INTERNAL with nothing internal in the response.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { KefuError, isKefuError } from '../errors/index.ts';

interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function fromValidation(error: FastifyError): KefuError {
  const issues = (error.validation ?? []) as ValidationIssue[];
  const first = issues[0];
  const where = `${error.validationContext ?? 'body'}${first?.instancePath ?? ''}`;
  if (where === 'body/question' && first?.keyword === 'maxLength') {
    return new KefuError('QUESTION_TOO_LONG', { detail: `the limit is ${String(first.params?.limit ?? '')} characters` });
  }
  if (where === 'body/question' && first?.keyword === 'minLength') return new KefuError('QUESTION_EMPTY');
  if (first?.keyword === 'required' && first.params?.missingProperty === 'question') return new KefuError('QUESTION_EMPTY');
  if (first?.keyword === 'additionalProperties') {
    return new KefuError('REQUEST_INVALID', { detail: `${where} has an unknown field "${String(first.params?.additionalProperty ?? '')}"` });
  }
  return new KefuError('REQUEST_INVALID', { detail: `${where} ${first?.message ?? 'is invalid'}` });
}

function tooLarge(bodyLimitBytes: number | undefined): KefuError {
  return new KefuError('REQUEST_TOO_LARGE', { detail: bodyLimitBytes ? `the limit is ${bodyLimitBytes} bytes` : 'over the limit' });
}

/** Maps anything thrown in a route to the KefuError the client sees. */
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
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new KefuError('REQUEST_MEDIA_TYPE', { detail: 'send application/json' });
    default:
      break;
  }
  const status = fastifyError.statusCode ?? 500;
  if (status === 413) return tooLarge(bodyLimitBytes);
  if (status === 415) return new KefuError('REQUEST_MEDIA_TYPE', { detail: 'send application/json' });
  if (status === 429) return new KefuError('RATE_LIMITED');
  if (status >= 400 && status < 500) return new KefuError('REQUEST_INVALID', { detail: 'the request could not be read' });
  return new KefuError('INTERNAL', { cause: error });
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const clientError = toClientError(error, request.routeOptions.bodyLimit);
  const context = { method: request.method, route: request.routeOptions.url ?? request.url, code: clientError.code };
  if (clientError.status >= 500) request.log.error({ ...context, err: error }, 'request failed');
  else request.log.info(context, clientError.message);
  void reply.status(clientError.status).send({ error: clientError.toJSON() });
}
