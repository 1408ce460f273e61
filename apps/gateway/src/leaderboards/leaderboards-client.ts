import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { EnvelopeClient, LEADERBOARDS, LeaderboardSignatures, SERVICES } from '@app/contracts';

/** The query-service's leaderboards: `leaderboards.call('airportRank', { code, date })` answers the envelope. */
@Injectable()
export class LeaderboardsClient extends EnvelopeClient<LeaderboardSignatures> {
  constructor(@Inject(SERVICES.query) proxy: ClientProxy) {
    super(proxy, 'query-service', LEADERBOARDS);
  }
}
