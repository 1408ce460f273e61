import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * One id per HTTP request, from the gateway through every service call it makes: assigned by the gateway (or
 * taken from the client's `x-request-id`), returned in the response's `x-request-id` header, written into every
 * log line the request causes in any process.
 *
 * Nest's TCP transport carries only a message's payload, so the id travels in it, under REQUEST_ID_FIELD: the
 * gateway's callService adds it, and the service takes it out (RequestContextInterceptor) before the payload is
 * validated against the operation's request class and before the handler sees it. Operations never declare it.
 */
export const REQUEST_ID_FIELD = 'requestId';

/** The HTTP header that carries the id in and out of the gateway. */
export const REQUEST_ID_HEADER = 'x-request-id';

export interface RequestContext {
  requestId: string;
}

/** The request being served by the current async call chain (HTTP in the gateway, a message in a service). */
export const requestContext = new AsyncLocalStorage<RequestContext>();

export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}

/** Printable, short, no separators that could split a log line or a header: what a client may choose. */
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function isValidRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID.test(value);
}

export function newRequestId(): string {
  return randomUUID();
}

/** A payload as sent: the operation's own fields and, within a request, its id. */
export type WithRequestId<P> = P & { [REQUEST_ID_FIELD]?: string };

/** The payload to send for the current request: unchanged outside one, or when it is not an object. */
export function withRequestId<P>(payload: P, requestId = currentRequestId()): WithRequestId<P> {
  if (requestId === undefined || payload === null || typeof payload !== 'object' || Array.isArray(payload))
    return payload as WithRequestId<P>;
  return { ...payload, [REQUEST_ID_FIELD]: requestId };
}

/**
 * Takes the id out of a received payload (in place: the validation that follows refuses unknown fields). An id
 * that is not a valid one is dropped too, and undefined returned.
 */
export function takeRequestId(payload: unknown): string | undefined {
  if (payload === null || typeof payload !== 'object' || !(REQUEST_ID_FIELD in payload)) return undefined;
  const record = payload as Record<string, unknown>;
  const value = record[REQUEST_ID_FIELD];
  delete record[REQUEST_ID_FIELD];
  return isValidRequestId(value) ? value : undefined;
}
