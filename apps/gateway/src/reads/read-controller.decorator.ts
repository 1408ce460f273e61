import { applyDecorators, Controller } from '@nestjs/common';
import { ApiBadRequestResponse, ApiTags } from '@nestjs/swagger';

/** A controller of read routes under `path`: tagged "reads" in /docs, every route may answer 400 naming the field. */
export function ReadController(path: string): ClassDecorator {
  return applyDecorators(
    ApiTags('reads'),
    ApiBadRequestResponse({ description: 'A malformed parameter (the message names it)' }),
    Controller(path),
  );
}
