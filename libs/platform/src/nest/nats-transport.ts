import { Logger } from '@nestjs/common';
import { ClientNats, NatsOptions, ServerNats, ServerTCP } from '@nestjs/microservices';
import { EmptyResponseException } from '@nestjs/microservices/errors/empty-response.exception';
import { SERVICE_CALL_TIMEOUT_MS } from '@app/contracts';
import { AppConfig, Endpoint } from '../config/config';

/**
 * SERVICE_TRANSPORT=nats: every instance of a service subscribes to the service's subjects in one queue group, so
 * NATS hands each request to one live instance (a dead one simply stops being offered any), and a request nobody
 * listens to is answered "no responders" at once (Nest: EmptyResponseException; callService: 503 naming the service).
 *
 * Subjects are `<NATS_SUBJECT_PREFIX><app>.<pattern>`: the app name keeps apart the patterns several services
 * share (`health`), the prefix keeps apart deployments or test runs that share one NATS server.
 */
export function natsSubjectPrefix(config: AppConfig, app: string): string {
  return `${config.transport.subjectPrefix}${app}.`;
}

/** NATS_URL for a log line: credentials in a URL (nats://user:password@host) are not printed. */
export function describeNatsServers(config: AppConfig): string {
  return redact(config.transport.natsServers);
}

function redact(servers: string | string[] | undefined): string {
  return ([] as string[])
    .concat(servers ?? [])
    .map((url) => url.replace(/\/\/[^@/]*@/, '//***@'))
    .join(',');
}

/** What a NATS subscription offers here (the `nats` package's Subscription). */
interface Subscription {
  drain(): Promise<void>;
}

/** The queue group of every instance of `app`. */
export function natsQueueGroup(config: AppConfig, app: string): string {
  return `${config.transport.subjectPrefix}${app}`;
}

/** Connection options both sides share: reconnect for ever (a NATS restart must not leave a service deaf). */
function connectionOptions(config: AppConfig, name: string): NatsOptions['options'] {
  return { servers: config.transport.natsServers, name, maxReconnectAttempts: -1, reconnectTimeWait: 500 };
}

/**
 * ServerNats whose subscriptions carry the app's subject prefix (the handlers stay keyed by their pattern). Once
 * on NATS, the instance also answers the same messages on its own TCP endpoint, as it does with
 * SERVICE_TRANSPORT=tcp: the container health check (scripts/probe.js) asks that instance, not whichever one NATS
 * picks. A second instance on the same machine finds the port taken and answers on NATS only.
 */
export class PrefixedServerNats extends ServerNats {
  private readonly log = new Logger('ServerNats');
  private tcp?: ServerTCP;
  private readonly subscribed: Subscription[] = [];
  private readonly draining: Promise<void>[] = [];
  /** Requests taken and not yet answered: a stopping instance answers every one before it closes. */
  private inFlight = 0;
  private whenIdle?: () => void;

  constructor(
    options: NatsOptions['options'],
    private readonly subjectPrefix: string,
    private readonly tcpEndpoint?: Endpoint,
  ) {
    super(options ?? {});
  }

  bindEvents(client: { subscribe: (subject: string, opts: unknown) => Subscription }): void {
    super.bindEvents({
      subscribe: (subject: string, opts: unknown) => {
        const subscription = client.subscribe(`${this.subjectPrefix}${subject}`, opts);
        this.subscribed.push(subscription);
        return subscription;
      },
    });
  }

  /**
   * Leaves the queue group: new requests go to the other instances, the ones already here are still answered
   * (the connection stays until close). Called as soon as a stop is asked for, before Nest's shutdown hooks.
   */
  stopTakingRequests(): void {
    // drain, not unsubscribe: messages NATS sent before it saw the UNSUB are still handled, not dropped.
    for (const subscription of this.subscribed.splice(0))
      this.draining.push(subscription.drain().catch(() => undefined));
  }

  /**
   * Counts a request until its answer is published: Nest publishes on the tick after the handler returns, so the
   * handler's end is not yet the answer's.
   */
  async handleMessage(...[channel, message]: Parameters<ServerNats['handleMessage']>): Promise<unknown> {
    if (!message.reply) return super.handleMessage(channel, message); // an event: nobody waits for an answer
    this.inFlight++;
    let answered = false;
    const settle = () => {
      if (answered) return;
      answered = true;
      if (--this.inFlight === 0) this.whenIdle?.();
    };
    const respond = message.respond.bind(message);
    message.respond = (...args: Parameters<typeof respond>) => {
      try {
        return respond(...args);
      } finally {
        settle();
      }
    };
    try {
      return await super.handleMessage(channel, message);
    } catch (e) {
      settle();
      throw e;
    }
  }

  async listen(callback: (err?: unknown, ...optionalParams: unknown[]) => void): Promise<void> {
    await super.listen((err?: unknown, ...rest: unknown[]) => {
      if (err || !this.tcpEndpoint) return callback(err, ...rest);
      this.listenOnTcp(this.tcpEndpoint).then(() => callback(), callback);
    });
  }

  /**
   * Stopping: leave the queue group, let NATS hand over what it sent before it saw that, answer every request
   * taken (however long a busy machine makes them; bounded by the callers' own timeout, after which nobody waits),
   * flush the answers, then close. Not a fixed grace period: a slow answer is still an answer.
   */
  async close(): Promise<void> {
    this.tcp?.close();
    this.tcp = undefined;
    this.stopTakingRequests();
    await Promise.all(this.draining);
    this.log.log(`stopping: out of the queue group, answering the ${this.inFlight} request(s) in hand`);
    if (this.inFlight > 0) {
      let limit: NodeJS.Timeout | undefined;
      await new Promise<void>((idle) => {
        this.whenIdle = idle;
        limit = setTimeout(idle, DRAIN_LIMIT_MS);
      });
      clearTimeout(limit);
      this.whenIdle = undefined;
    }
    await this.connection()
      ?.flush()
      .catch(() => undefined);
    await super.close();
  }

  private connection(): { flush(): Promise<void> } | undefined {
    try {
      return this.unwrap<{ flush(): Promise<void> }>();
    } catch {
      return undefined; // never connected
    }
  }

  private async listenOnTcp(at: Endpoint): Promise<void> {
    const tcp = new QuietServerTCP({ host: at.host, port: at.port });
    for (const [pattern, handler] of this.getHandlers())
      tcp.addHandler(pattern, handler, handler.isEventHandler, handler.extras);
    const failed = await new Promise<Error | undefined>((done) =>
      tcp.listen((e?: unknown) => done(e as Error)),
    );
    if (!failed) {
      this.tcp = tcp;
      this.log.log(`also answering on TCP ${at.host}:${at.port} (this instance's health check)`);
      return;
    }
    tcp.close();
    this.log.warn(
      `TCP ${at.host}:${at.port} is taken (${failed.message}): this instance answers on NATS only`,
    );
  }
}

/** A taken port is said once, as a warning (above), not also as an error. */
class QuietServerTCP extends ServerTCP {
  // Nest types it a string; a socket error arrives.
  handleError(error: string): void {
    if ((error as unknown as NodeJS.ErrnoException)?.code !== 'EADDRINUSE') super.handleError(error);
  }
}

/** The longest a stopping instance waits for its requests' answers: the callers' timeout (callService). */
export const DRAIN_LIMIT_MS = SERVICE_CALL_TIMEOUT_MS;

/** The server side: one instance of `app` among any number, in its queue group; `tcp`: see PrefixedServerNats. */
export function natsServer(config: AppConfig, app: string, tcp?: Endpoint): PrefixedServerNats {
  return new PrefixedServerNats(
    {
      ...connectionOptions(config, app),
      queue: natsQueueGroup(config, app),
      // A service started before NATS waits for it (compose may start them in any order).
      waitOnFirstConnect: true,
      // Stopping (SIGTERM): close() itself leaves the group and waits for the answers (see close), not a timer.
      gracefulShutdown: false,
    },
    natsSubjectPrefix(config, app),
    tcp,
  );
}

/** ClientNats options plus the subject prefix of the service it calls. */
export type PrefixedClientNatsOptions = NatsOptions['options'] & { subjectPrefix: string };

/** ClientNats that sends to the service's prefixed subjects (ClientsModule `customClass`). */
export class PrefixedClientNats extends ClientNats {
  private readonly subjectPrefix: string;

  constructor({ subjectPrefix, ...options }: PrefixedClientNatsOptions) {
    super(options);
    this.subjectPrefix = subjectPrefix;
  }

  protected normalizePattern(pattern: Parameters<ClientNats['send']>[0]): string {
    return `${this.subjectPrefix}${super.normalizePattern(pattern)}`;
  }

  /** A NATS that cannot be reached is named (callService makes it a 503 naming the service too). */
  async connect(): Promise<unknown> {
    try {
      return await super.connect();
    } catch (e) {
      throw new Error(`NATS (${redact(this.options.servers)}) cannot be reached: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /** "No responders" (no instance in the group) said plainly, instead of Nest's "Empty response". */
  createSubscriptionHandler(...[packet, callback]: Parameters<ClientNats['createSubscriptionHandler']>) {
    return super.createSubscriptionHandler(packet, (reply) =>
      callback(
        reply.err instanceof EmptyResponseException
          ? { ...reply, err: new Error('no instance is listening on NATS (no responders)') }
          : reply,
      ),
    );
  }
}

/** The client side's options for calling `app`. */
export function natsClientOptions(config: AppConfig, app: string): PrefixedClientNatsOptions {
  return { ...connectionOptions(config, `${app} client`), subjectPrefix: natsSubjectPrefix(config, app) };
}
