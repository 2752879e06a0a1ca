/**
 * The shared item store's typed error for an item it no longer holds: `read` and `touch` take a live
 * item, one just returned by `get` or `store`. An item replaced, deleted, expired, flushed or
 * evicted since (or another store's item) is a caller's mistake, not an operating failure.
 */
import { OspreyError } from '../../../ground/errors.js';

/**
 * @example
 * ```ts
 * try { store.read(item); } catch (error) { if (error instanceof ItemNotLiveError) console.log(error.key); }
 * ```
 */
export class ItemNotLiveError extends OspreyError {
  readonly code = 'memcached-item-not-live';
  constructor(readonly key: string) {
    super(`the item under '${key}' is no longer live in this store: read and touch take an item just returned by get or store`);
  }
}
