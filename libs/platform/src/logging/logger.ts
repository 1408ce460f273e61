import { LoggerService, LogLevel } from '@nestjs/common';
import pino, { DestinationStream, Level, Logger as Pino } from 'pino';
import { currentRequestId } from '@app/contracts';
import type { AppConfig } from '../config/config';

/**
 * The apps' logger: pino behind Nest's LoggerService, so every `new Logger('Context').log(...)` in the code base
 * writes through it.
 *
 * - `json` (LOG_FORMAT=json, or auto when stdout is not a terminal): one JSON object a line, never a colour code:
 *   `{"level":"info","time":"2026-…","app":"query-service","pid":7,"context":"ReadsService",
 *   "requestId":"9f0c…","msg":"…"}`.
 * - `pretty` (LOG_FORMAT=pretty, or auto on a terminal): pino-pretty, coloured only when stdout is a terminal
 *   (FORCE_COLOR=1 forces colour, NO_COLOR removes it).
 *
 * Every line written while a request is being served carries its `requestId` (see @app/contracts request-id).
 */

/** LOG_LEVEL (Nest's names) -> pino's. */
const PINO_LEVEL: Record<AppConfig['logLevel'], Level> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

export interface LogOutput {
  format: 'json' | 'pretty';
  colour: boolean;
}

/** What LOG_FORMAT means for this process's stdout. */
export function logOutput(
  format: AppConfig['logFormat'],
  stdout: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): LogOutput {
  const terminal = stdout.isTTY === true;
  const pretty = format === 'pretty' || (format === 'auto' && terminal);
  if (!pretty) return { format: 'json', colour: false };
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  const colour = !env.NO_COLOR && (terminal || forced);
  return { format: 'pretty', colour };
}

export interface AppLoggerOptions {
  level: AppConfig['logLevel'];
  format: AppConfig['logFormat'];
  /** The app's name, on every line. */
  app: string;
  /** Where lines go (stdout by default; tests pass a stream). */
  destination?: DestinationStream;
  /** Whether that is a terminal (stdout's isTTY by default; tests say). */
  terminal?: boolean;
}

/** A pino logger for an app, with the request id of the current request mixed into every line. */
export function createPino(options: AppLoggerOptions): Pino {
  const output = logOutput(
    options.format,
    options.terminal === undefined ? process.stdout : { isTTY: options.terminal },
  );
  const pinoOptions: pino.LoggerOptions = {
    level: PINO_LEVEL[options.level],
    base: { app: options.app, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => {
      const requestId = currentRequestId();
      return requestId === undefined ? {} : { requestId };
    },
  };
  if (output.format === 'json')
    return pino(pinoOptions, options.destination ?? pino.destination({ dest: 1, sync: true }));
  // Loaded only when asked for: a container writing JSON never needs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pino(
    pinoOptions,
    pretty.build({
      colorize: output.colour,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,app,context,requestId',
      messageFormat: '{if context}[{context}] {end}{msg}{if requestId} (request {requestId}){end}',
      sync: true,
      destination: options.destination ?? 1,
    }),
  );
}

/** Nest's LoggerService on pino: Nest's and the code base's `Logger` calls land here once the app is created. */
export class PinoNestLogger implements LoggerService {
  constructor(readonly pino: Pino) {}

  log(message: unknown, ...params: unknown[]) {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]) {
    // Nest's shapes: error(message), error(message, context), error(message, stack, context).
    let stack: string | undefined;
    let context: string | undefined;
    if (params.length >= 2) {
      stack = typeof params[0] === 'string' ? params[0] : undefined;
      context = takeContext(params);
    } else if (typeof params[0] === 'string') {
      if (/\n\s+at /.test(params[0])) stack = params[0];
      else context = params[0];
    }
    if (message instanceof Error) {
      this.pino.error({ context, err: message }, message.message);
      return;
    }
    this.emit('error', message, context, stack ? { stack } : undefined);
  }

  warn(message: unknown, ...params: unknown[]) {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]) {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]) {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]) {
    this.write('fatal', message, params);
  }

  setLogLevels(levels: LogLevel[]) {
    // Nest passes the levels to print; the most verbose one is pino's threshold.
    const order: LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];
    const most = order.find((l) => levels.includes(l));
    if (most) this.pino.level = most === 'fatal' ? 'fatal' : PINO_LEVEL[most as AppConfig['logLevel']];
  }

  private write(level: Level, message: unknown, params: unknown[]) {
    if (!this.pino.isLevelEnabled(level)) return;
    this.emit(level, message, takeContext(params));
  }

  private emit(level: Level, message: unknown, context: string | undefined, extra?: object) {
    if (message !== null && typeof message === 'object' && !(message instanceof Error)) {
      this.pino[level]({ context, ...extra, ...(message as object) });
      return;
    }
    this.pino[level]({ context, ...extra }, String(message));
  }
}

/** Nest passes the context as the last string argument. */
function takeContext(params: unknown[]): string | undefined {
  const last = params[params.length - 1];
  return typeof last === 'string' ? last : undefined;
}

/** The logger an app hands to NestFactory: LOG_LEVEL and LOG_FORMAT from its configuration. */
export function appLogger(
  config: Pick<AppConfig, 'logLevel' | 'logFormat'>,
  app: string,
  output: { destination?: DestinationStream; terminal?: boolean } = {},
): PinoNestLogger {
  return new PinoNestLogger(createPino({ level: config.logLevel, format: config.logFormat, app, ...output }));
}
