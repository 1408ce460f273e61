import { Inject, Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { APP_CONFIG, AppConfig } from '@app/platform';
import { CurrentWeather, WeatherCity } from '@app/contracts';

/** The result of one provider call; failures are values so the cache can decide what to serve. */
export type UpstreamOutcome =
  | { kind: 'ok'; data: CurrentWeather; ms: number }
  | { kind: 'not-found'; ms: number }
  | { kind: 'error'; reason: string; ms: number }
  | { kind: 'timeout'; reason: string; ms: number };

/** HTTP client of the weather provider (the mock, or anything answering OpenWeatherMap's shape). */
@Injectable()
export class WeatherProviderClient {
  private readonly baseUrl: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const { host, port } = config.weather.provider;
    this.baseUrl = `http://${host}:${port}`;
  }

  /** One call to the provider, given up after `timeoutMs`. */
  async current(
    country: string,
    zip: string,
    timeoutMs = this.config.weather.upstreamTimeoutMs,
  ): Promise<UpstreamOutcome> {
    const started = performance.now();
    const ms = () => performance.now() - started;
    const url = `${this.baseUrl}/data/2.5/weather?zip=${encodeURIComponent(`${zip},${country}`)}&units=metric`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (res.status === 404) {
        await res.body?.cancel();
        return { kind: 'not-found', ms: ms() };
      }
      if (!res.ok) {
        await res.body?.cancel();
        return { kind: 'error', reason: `provider answered HTTP ${res.status}`, ms: ms() };
      }
      return { kind: 'ok', data: (await res.json()) as CurrentWeather, ms: ms() };
    } catch (e) {
      const err = e as Error;
      if (err.name === 'TimeoutError') {
        return { kind: 'timeout', reason: `provider did not answer within ${timeoutMs} ms`, ms: ms() };
      }
      return { kind: 'error', reason: `provider unreachable: ${describe(err)}`, ms: ms() };
    }
  }

  /** The cities the provider knows. */
  async cities(): Promise<WeatherCity[]> {
    const res = await fetch(`${this.baseUrl}/cities`, {
      signal: AbortSignal.timeout(this.config.weather.upstreamTimeoutMs),
    });
    if (!res.ok) throw new Error(`provider answered HTTP ${res.status}`);
    return (await res.json()) as WeatherCity[];
  }
}

/** fetch wraps the socket error in `cause`; that is the part a person can act on. */
function describe(err: Error): string {
  const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? err.message;
}
