import type { CurrentWeather } from '@app/contracts';
import { FlagValues } from './args';
import { Envelope, GatewayClient } from './http';

/** Weather helpers shared by demo:weather and demo:stampede. */

export interface City {
  country: string;
  zip: string;
  name: string;
}

export const weatherPath = (city: { country: string; zip: string }, query = '') =>
  `/api/weather/${city.country}/${encodeURIComponent(city.zip)}${query}`;

/** Removes a city's cached weather so that a run starts cold (DELETE /api/weather/:country/:zip, admin). */
export async function evictWeather(
  client: GatewayClient,
  values: FlagValues,
  city: { country: string; zip: string },
) {
  const auth = Buffer.from(`${values['admin-user']}:${values['admin-password']}`).toString('base64');
  await client.delete(weatherPath(city), { authorization: `Basic ${auth}` });
}

export function readWeather(client: GatewayClient, city: { country: string; zip: string }, query = '') {
  return client.read<CurrentWeather>(weatherPath(city, query)) as Promise<
    Envelope<CurrentWeather> & { roundTripMs: number }
  >;
}
