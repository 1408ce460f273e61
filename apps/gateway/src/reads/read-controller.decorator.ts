import { applyDecorators, Controller, UseInterceptors } from '@nestjs/common';
import { ApiBadRequestResponse, ApiTags } from '@nestjs/swagger';
import { RememberHitRoute } from './hit-routes';

/**
 * A controller of read routes under `path`: tagged "reads" in /docs, every route may answer 400 naming the field,
 * and a GET whose handler answers its one read's envelope lets HitRoutes answer that URL's hits early.
 */
export function ReadController(path: string): ClassDecorator {
  return applyDecorators(
    ApiTags('reads'),
    ApiBadRequestResponse({ description: 'A malformed parameter (the message names it)' }),
    Controller(path),
    UseInterceptors(RememberHitRoute),
  );
}
