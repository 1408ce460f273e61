import type { Type } from '@nestjs/common';
import { IntersectionType } from '@nestjs/swagger';
import type { QueryClass } from '@app/cache';

/** A request class: its class-validator rules are what the answering service accepts as the payload. */
export type RequestClass<P> = Type<P>;

/**
 * An operation is one message a service answers: its pattern on the wire, the payload it takes and the reply it
 * sends back. Every operation is defined once (READS, WRITES, WEATHER); clients, message handlers and the
 * registries derived from them (explainable queries, the gateway's cache hits...) all read that one definition.
 */
export interface Operation<P extends object = object, Reply = unknown> {
  /** The message pattern on the wire (byte-identical across versions: services and gateway must agree). */
  readonly pattern: { readonly cmd: string };
  /** Its row in GET /api/stats (public: the dashboard and outside checks read it); null or absent: none. */
  readonly queryClass?: QueryClass | null;
  /** Types only, never a value at run time (see `typed`): what the payload and the reply are. */
  readonly payload: P;
  readonly reply: Reply;
  /**
   * The payload's class at run time: the service answering the operation validates every message against it
   * (the rules of the request classes the gateway validates HTTP input with), so a bad payload sent straight to
   * its TCP port is a 400 that touches nothing.
   */
  readonly request: RequestClass<P>;
  /**
   * Admin-only: the service answers only a message carrying the internal token (INTERNAL_TOKEN), which the
   * gateway adds once it has checked the admin's credentials.
   */
  readonly admin?: boolean;
}

export type PayloadOf<O extends Operation> = O['payload'];
export type ReplyOf<O extends Operation> = O['reply'];

/** A set of operations answered by one service, by name. */
export type Operations = Record<string, Operation>;

/**
 * Carries a type in a definition: `payload: typed<FlightIdParams>()`. There is no value behind it (undefined at
 * run time); only the compiler reads it.
 */
export function typed<T>(): T {
  return undefined as T;
}

/** The request class of a payload made of several request classes (path parameters and query, say). */
export function requestOf<A>(a: Type<A>): Type<A>;
export function requestOf<A, B>(a: Type<A>, b: Type<B>): Type<A & B>;
export function requestOf(...classes: [Type, ...Type[]]): Type {
  return classes.length === 1 ? classes[0] : (IntersectionType(...classes) as Type);
}

/** Defines an operation (the identity, so that the definition is checked and keeps its literal types). */
export function operation<const O extends Operation>(definition: O): O {
  return definition;
}
