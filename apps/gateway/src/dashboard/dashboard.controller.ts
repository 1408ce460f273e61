import { Controller, Get, Header, NotFoundException, Param, Res, StreamableFile } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { createReadStream, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { chartJsPath, publicDir } from './dashboard.paths';
import { browserSeatsScript } from './browser-seats';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * The airport dashboard: the page at `/`, its files under /assets/, and the scripts it needs from the rest of the
 * project under /vendor/ (chart.js from node_modules, the seat rules from libs/contracts), so it works offline.
 * Only files present in apps/gateway/public at start-up are served: a path never reaches the file system as is.
 */
@ApiExcludeController()
@Controller()
export class DashboardController {
  private readonly dir = publicDir();
  private readonly files = new Set(readdirSync(this.dir).filter((f) => CONTENT_TYPES[extname(f)]));
  private readonly seatsScript = browserSeatsScript();

  @Get()
  page(@Res({ passthrough: true }) reply: FastifyReply): StreamableFile {
    return this.send(reply, 'index.html', 'no-cache');
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res({ passthrough: true }) reply: FastifyReply): StreamableFile {
    if (!this.files.has(file)) throw new NotFoundException(`No dashboard file ${file}`);
    return this.send(reply, file, 'no-cache');
  }

  @Get('vendor/chart.umd.js')
  @Header('Content-Type', CONTENT_TYPES['.js'])
  @Header('Cache-Control', 'public, max-age=86400')
  chartJs(): StreamableFile {
    return new StreamableFile(createReadStream(chartJsPath()));
  }

  @Get('vendor/seats.js')
  @Header('Content-Type', CONTENT_TYPES['.js'])
  @Header('Cache-Control', 'no-cache')
  seats(): string {
    return this.seatsScript;
  }

  private send(reply: FastifyReply, file: string, cacheControl: string): StreamableFile {
    reply.header('Content-Type', CONTENT_TYPES[extname(file)]);
    reply.header('Cache-Control', cacheControl);
    return new StreamableFile(createReadStream(join(this.dir, file)));
  }
}
