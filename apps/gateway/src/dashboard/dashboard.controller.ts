import { Controller, Get, Header, StreamableFile } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { createReadStream } from 'node:fs';
import { chartJsPath } from './dashboard.paths';
import { browserSeatsScript } from './browser-seats';

/** Scripts the dashboard page loads from the gateway itself, so it works offline and needs no CDN. */
@ApiExcludeController()
@Controller('vendor')
export class DashboardController {
  private readonly seatsScript = browserSeatsScript();

  @Get('chart.umd.js')
  @Header('Content-Type', 'application/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=86400')
  chartJs(): StreamableFile {
    return new StreamableFile(createReadStream(chartJsPath()));
  }

  @Get('seats.js')
  @Header('Content-Type', 'application/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  seats(): string {
    return this.seatsScript;
  }
}
