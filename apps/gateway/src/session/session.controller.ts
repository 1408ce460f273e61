import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpException,
  Param,
  Post,
  Put,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPropertyOptional,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { performance } from 'node:perf_hooks';
import {
  Envelope,
  FlightIdParams,
  MAX_ID,
  PassengerRef,
  SeatAvailability,
  WeatherCityParams,
  toEnvelope,
} from '@app/contracts';
import { ReadsClient } from '../reads/reads-client';
import { WeatherClient } from '../weather/weather-client';
import { SessionCookie } from './session-cookie';
import { BASKET_MAX, SessionState, SessionStore, WeatherLookup } from './session.store';

export class LoginBody {
  @ApiPropertyOptional({ example: 'P10000001', description: 'Passport number (or give passengerId)' })
  @IsOptional()
  @Matches(/^[A-Z0-9]{9}$/, { message: 'passportNo must be 9 characters, uppercase letters A-Z or digits' })
  passportNo?: string;

  @ApiPropertyOptional({ example: 1000, description: 'Passenger id (or give passportNo)' })
  @IsOptional()
  @IsInt({ message: 'passengerId must be a positive integer' })
  @Min(1, { message: 'passengerId must be a positive integer' })
  @Max(MAX_ID, { message: `passengerId must not be greater than ${MAX_ID}` })
  passengerId?: number;
}

/** The session as the API shows it (never its id: that stays in the HttpOnly cookie). */
export interface SessionView {
  passenger: PassengerRef;
  createdAt: string;
  lastSeenAt: string;
  /** Seconds of inactivity left: every request with the session starts them again. */
  expiresInSeconds: number;
  basket: number[];
  recentWeather: WeatherLookup[];
}

/** A basket flight with its seats as they are now. */
export interface BasketItem {
  flightId: number;
  flightno: string | null;
  /** Airport codes: IATA, or ICAO when the airport has none. */
  from: string | null;
  to: string | null;
  departure: string | null;
  status: string | null;
  capacity: number | null;
  available: number | null;
  /** Why the flight could not be shown (it no longer exists, say). */
  problem?: string;
}

/**
 * A server-side session in Valkey, as the original workshop's small web app keeps one: log in as a passenger
 * (by passport number or id), look up the weather, keep a flight basket. The cookie holds only a signed random
 * id; everything else lives in Valkey with a sliding TTL. An expired, logged-out or forged session is a 401 that
 * says which, and the cookie is cleared.
 */
@ApiTags('session')
@ApiBadRequestResponse({ description: 'A malformed field (the message names it)' })
@ApiUnauthorizedResponse({
  description:
    'No session cookie, a cookie whose signature does not match, or a session that expired or ended',
})
@Controller('api/session')
export class SessionController {
  constructor(
    private readonly store: SessionStore,
    private readonly cookie: SessionCookie,
    private readonly reads: ReadsClient,
    private readonly weather: WeatherClient,
  ) {}

  @Post('login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log in as a passenger: a new session (any session the browser had is ended: the id rotates)',
  })
  @ApiOkResponse({ description: '{data: session, meta}; Set-Cookie: cmiyc_session (signed, HttpOnly)' })
  async login(
    @Body() body: LoginBody,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Envelope<SessionView>> {
    const started = performance.now();
    if ((body.passportNo === undefined) === (body.passengerId === undefined))
      throw new BadRequestException('give exactly one of passportNo and passengerId');
    const passenger = await this.passenger(body);
    // Rotation: the session id a browser had before logging in is never the one it has after (no fixation).
    const previous = this.cookie.optionalIdOf(req);
    if (previous) await this.store.destroy(previous);
    const id = await this.store.create(passenger);
    const state = await this.store.touch(id);
    if (!state) throw new UnauthorizedException('the new session vanished at once: log in again');
    this.cookie.set(req, reply, id);
    return this.envelope(state, started);
  }

  @Post('logout')
  @HttpCode(200)
  @ApiOperation({ summary: 'End the session: its keys are deleted and the cookie cleared' })
  async logout(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const id = this.cookie.optionalIdOf(req);
    if (id) await this.store.destroy(id);
    this.cookie.clear(reply);
    return { data: { loggedOut: id !== null }, meta: { source: 'cache', latencyMs: 0, cacheKey: null } };
  }

  @Get()
  @ApiOperation({ summary: 'The session: passenger, basket, recent weather lookups (starts its TTL again)' })
  async current(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const started = performance.now();
    return this.envelope(await this.session(req, reply, (id) => this.store.touch(id)), started);
  }

  @Get('basket')
  @ApiOperation({ summary: 'The basket with each flight and its seats available right now' })
  async basket(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const started = performance.now();
    const state = await this.session(req, reply, (id) => this.store.touch(id));
    const items = await Promise.all(state.basket.map((flightId) => this.basketItem(flightId)));
    return {
      data: items,
      meta: { source: 'cache', latencyMs: round(performance.now() - started), cacheKey: null },
    };
  }

  @Put('basket/:flightId')
  @ApiOperation({
    summary: `Add a flight to the basket (at most ${BASKET_MAX}); adding it twice keeps it once`,
  })
  async add(
    @Param() p: FlightIdParams,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const started = performance.now();
    const id = this.cookie.idOf(req);
    // The flight must exist (a cached read; 404 otherwise) before it goes into the basket.
    await this.reads.call('flight', { flightId: p.flightId });
    const state = await this.orUnauthorized(reply, await this.store.addToBasket(id, p.flightId));
    if (state.basketFull)
      throw new BadRequestException(`the basket is full: it holds at most ${BASKET_MAX} flights`);
    return this.envelope(state, started);
  }

  @Delete('basket/:flightId')
  @ApiOperation({ summary: 'Remove a flight from the basket' })
  async remove(
    @Param() p: FlightIdParams,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const started = performance.now();
    return this.envelope(
      await this.session(req, reply, (id) => this.store.removeFromBasket(id, p.flightId)),
      started,
    );
  }

  @Get('weather/:country/:zip')
  @ApiOperation({
    summary: "The weather of a city (the weather-service's cached answer), remembered in the session",
  })
  async weatherLookup(
    @Param() city: WeatherCityParams,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const id = this.cookie.idOf(req);
    const { weather, ...result } = await this.weather.send('current', city);
    const w = result.value;
    const lookup: WeatherLookup = {
      country: city.country,
      zip: city.zip,
      city: w.name,
      temp: w.main?.temp ?? null,
      description: w.weather?.[0]?.description ?? null,
      source: result.source,
      at: new Date().toISOString(),
    };
    await this.orUnauthorized(reply, await this.store.rememberWeather(id, lookup));
    return toEnvelope(result, { ...weather });
  }

  // -------------------------------------------------------------------------------------------------------------

  private async passenger(body: LoginBody): Promise<PassengerRef> {
    if (body.passportNo !== undefined)
      return (await this.reads.call('passengerFlights', { passportNo: body.passportNo })).data.passenger;
    return (await this.reads.call('passengerProfile', { passengerId: body.passengerId! })).data.passenger;
  }

  /** Runs a session operation with the request's cookie; 401 (and the cookie cleared) when there is none. */
  private async session(
    req: FastifyRequest,
    reply: FastifyReply,
    op: (id: string) => Promise<SessionState | null>,
  ): Promise<SessionState> {
    let id: string;
    try {
      id = this.cookie.idOf(req);
    } catch (e) {
      this.cookie.clear(reply);
      throw e;
    }
    return this.orUnauthorized(reply, await op(id));
  }

  private orUnauthorized(reply: FastifyReply, state: SessionState | null): SessionState {
    if (state) return state;
    this.cookie.clear(reply);
    throw new UnauthorizedException(
      `The session has expired (${this.store.ttlSeconds} s without a request) or was ended: log in again`,
    );
  }

  private async basketItem(flightId: number): Promise<BasketItem> {
    try {
      const [flight, seats] = await Promise.all([
        this.reads.call('flight', { flightId }),
        this.reads.call('seats', { flightId }),
      ]);
      const f = flight.data;
      const s: SeatAvailability = seats.data;
      return {
        flightId,
        flightno: f.flightno,
        from: f.from.iata ?? f.from.icao,
        to: f.to.iata ?? f.to.icao,
        departure: f.departure,
        status: f.status,
        capacity: s.capacity,
        available: s.available,
      };
    } catch (e) {
      const problem = e instanceof HttpException ? e.message : (e as Error).message;
      return {
        flightId,
        flightno: null,
        from: null,
        to: null,
        departure: null,
        status: null,
        capacity: null,
        available: null,
        problem,
      };
    }
  }

  private envelope(state: SessionState, started: number): Envelope<SessionView> {
    const { basketFull: _full, ...rest } = state;
    return {
      data: { ...rest, expiresInSeconds: this.store.ttlSeconds },
      meta: { source: 'cache', latencyMs: round(performance.now() - started), cacheKey: null },
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
