import { OptionalFlag } from './request-fields';

/** `?refresh=true` on any cached read: skip the cache read, load from the source and overwrite the entry. */
export class RefreshQuery {
  @OptionalFlag(
    'Skip the cache read, load from the database and overwrite the entry',
    'refresh must be true or false',
  )
  refresh?: boolean;
}
