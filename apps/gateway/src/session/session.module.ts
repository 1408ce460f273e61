import { Module } from '@nestjs/common';
import { ReadsClient } from '../reads/reads-client';
import { WeatherClient } from '../weather/weather-client';
import { SessionCookie } from './session-cookie';
import { SessionController } from './session.controller';
import { SessionStore } from './session.store';

/** /api/session: server-side sessions in Valkey behind a signed, HttpOnly cookie. */
@Module({
  controllers: [SessionController],
  providers: [SessionStore, SessionCookie, ReadsClient, WeatherClient],
})
export class SessionModule {}
