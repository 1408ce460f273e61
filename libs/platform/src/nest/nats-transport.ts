import { ClientNats, NatsOptions, ServerNats } from '@nestjs/microservices';
import { AppConfig } from '../config/config';

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

/** The queue group of every instance of `app`. */
export function natsQueueGroup(config: AppConfig, app: string): string {
  return `${config.transport.subjectPrefix}${app}`;
}

/** Connection options both sides share: reconnect for ever (a NATS restart must not leave a service deaf). */
function connectionOptions(config: AppConfig, name: string): NatsOptions['options'] {
  return { servers: config.transport.natsServers, name, maxReconnectAttempts: -1, reconnectTimeWait: 500 };
}

/** ServerNats whose subscriptions carry the app's subject prefix (the handlers stay keyed by their pattern). */
export class PrefixedServerNats extends ServerNats {
  constructor(
    options: NatsOptions['options'],
    private readonly subjectPrefix: string,
  ) {
    super(options ?? {});
  }

  bindEvents(client: { subscribe: (subject: string, opts: unknown) => unknown }): void {
    super.bindEvents({
      subscribe: (subject: string, opts: unknown) =>
        client.subscribe(`${this.subjectPrefix}${subject}`, opts),
    });
  }
}

/** The server side: one instance of `app` among any number, in its queue group. */
export function natsServer(config: AppConfig, app: string): PrefixedServerNats {
  return new PrefixedServerNats(
    { ...connectionOptions(config, app), queue: natsQueueGroup(config, app) },
    natsSubjectPrefix(config, app),
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
}

/** The client side's options for calling `app`. */
export function natsClientOptions(config: AppConfig, app: string): PrefixedClientNatsOptions {
  return { ...connectionOptions(config, `${app} client`), subjectPrefix: natsSubjectPrefix(config, app) };
}
