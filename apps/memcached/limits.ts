/**
 * Bounds of the memcached server, units last, checked against each other when the module loads.
 * (The slab store's are in limits-slabs.ts, the protocol's in protocols/memcached/limits.ts.)
 */
import { assert } from '../../ground/assert.js';
import { sendQueueBytesMax } from '../../actors/net/limits.js';
import { itemBytesMaxDefault } from './store/item-store.js';

/**
 * Reply bytes one chunk of requests may produce, at most. A multiget of one large item named a
 * hundred thousand times, or a chunk of pipelined gets, would otherwise copy gigabytes in one turn;
 * past this the session answers memcached's `SERVER_ERROR out of memory writing get response` and
 * closes. Below the socket's send queue, so that what it allows can always be queued.
 */
export const repliesBytesMax = 8 << 20;

assert(repliesBytesMax >= 4 * itemBytesMaxDefault, 'a chunk may answer a few gets of the largest default item');
assert(repliesBytesMax < sendQueueBytesMax, 'what one chunk answers fits in the socket send queue');
