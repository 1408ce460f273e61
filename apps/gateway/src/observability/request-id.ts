import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  isValidRequestId,
  newRequestId,
  REQUEST_ID_HEADER,
  RequestContext,
  requestContext,
} from '@app/contracts';

const CONTEXT = Symbol('cmiyc.requestContext');
type WithContext = FastifyRequest & { [CONTEXT]?: RequestContext };

/**
 * Gives every HTTP request its id: the client's `x-request-id` when it is a valid one (printable, at most 128
 * characters), else a new UUID. The id is in the response's `x-request-id` header (errors and 404s included),
 * in every log line the gateway writes while serving the request, and in every message it sends a service.
 *
 * The request runs in an AsyncLocalStorage context from its first hook on. Reading the body leaves that context
 * (stream events belong to the connection), so preValidation enters the same context again.
 */
export function installRequestIds(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const given = request.headers[REQUEST_ID_HEADER];
    const requestId = isValidRequestId(given) ? given : newRequestId();
    void reply.header(REQUEST_ID_HEADER, requestId);
    const context: RequestContext = { requestId };
    (request as WithContext)[CONTEXT] = context;
    requestContext.run(context, done);
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    const context = (request as WithContext)[CONTEXT];
    if (context) requestContext.run(context, done);
    else done();
  });
}
