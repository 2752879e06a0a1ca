/**
 * The shared item store's typed error for a handle that names no store: its header is not there,
 * or holds another magic word, another layout version, or figures that differ from the handle's.
 */
import { OspreyError } from '../../../ground/errors.js';

/**
 * @example
 * ```ts
 * try { SharedItemStore.open(vm, handle); } catch (error) { if (error instanceof StoreHandleError) console.log(error.message); }
 * ```
 */
export class StoreHandleError extends OspreyError {
  readonly code = 'memcached-store-handle';
}
