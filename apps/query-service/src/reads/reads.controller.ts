import { Controller } from '@nestjs/common';
import { MessageHandlers, READS } from '@app/contracts';
import { ReadsService } from './reads.service';

/**
 * The query-service's message handlers: one per read of READS, with the read's pattern, each passing its payload
 * (validated by the gateway's request classes) to the ReadsService method of the read's name.
 */
@Controller()
export class ReadsController extends MessageHandlers(READS, ReadsService) {}
