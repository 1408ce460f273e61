import { Controller } from '@nestjs/common';
import { LEADERBOARDS, MessageHandlers } from '@app/contracts';
import { LeaderboardsService } from './leaderboards.service';

/** The query-service's leaderboard messages: one handler per operation of LEADERBOARDS. */
@Controller()
export class LeaderboardsController extends MessageHandlers(LEADERBOARDS, LeaderboardsService) {}
