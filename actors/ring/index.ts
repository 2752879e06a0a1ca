/**
 * Lock-free ring mailboxes between threads: the transport under the CPUs-on-worker-threads layer.
 * `SpscRing` (one producer), `MpscRing` (many producers, CAS claims), parking and waking of the
 * consumer (`park`/`parkAsync`/`wakeIfParked`, `SpinThenPark`), and the shared layout.
 */
export { RingFrameTooLargeError } from './errors.js';
export type { RingFrameHandler, RingFrameView } from './frame-view.js';
export {
  cacheLineBytes,
  frameBytesFor,
  frameHeaderBytes,
  frameAlignBytes,
  frameLengthMaxFor,
  isPowerOfTwo,
  ringBytesFor,
  ringCapacityBytesMax,
  ringCapacityBytesMin,
  ringHeaderBytes,
} from './layout.js';
export { MpscRing } from './mpsc-ring.js';
export { SpinThenPark, spinPollsMaxDefault, type SpinThenParkOptions } from './spin-then-park.js';
export { SpscRing } from './spsc-ring.js';
export type { RingCreateOptions, RingMemory } from './ring-memory.js';
export {
  park,
  parkAsync,
  readParkingCounters,
  wakeIfParked,
  type ParkableRing,
  type ParkingCounters,
  type ParkOutcome,
} from './wake.js';
