import { Module } from '@nestjs/common';
import { WritesRoutesModule } from '../writes/writes.module';
import { MetricsController } from './metrics.controller';
import { SharedFigures } from './shared-figures';

/** GET /metrics on the gateway: its own figures (HTTP, process, cache breaker) and the shared ones. */
@Module({
  imports: [WritesRoutesModule],
  controllers: [MetricsController],
  providers: [SharedFigures],
})
export class GatewayMetricsModule {}
