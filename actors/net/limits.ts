/**
 * Bounds of the net subsystem, units last, checked against each other when the module loads.
 */
import { assert } from '../../ground/assert.js';
import { controlEventsPerFlowMax } from '../../drivers/nic/nic.js';
import { drainBatchEventsDefault, ringCapacityEventsMax } from '../irq/limits.js';
import { frameBytesMax } from '../../protocols/limits.js';

/**
 * Bytes an owner may have queued for sending while its flow is over the NIC's high-water mark, at
 * most. An owner that runs past it ignored backpressure (its data stops coming while it is blocked):
 * its send throws `NetSendOverflowError`.
 */
export const sendQueueBytesMax = 16 << 20;
/** NICs one net stack may have attached at once. */
export const nicsAttachedMax = 16;
/** Longest NIC name, in characters (names show in status and in actor names). */
export const nicNameLengthMax = 32;
/** Events the classifier takes per wake (NAPI's budget): the interrupt controller's default. */
export const classifierBatchEvents = drainBatchEventsDefault;
/** The largest interrupt ring a NIC's vector may need, in events: the controller's largest. */
export const nicRingEventsMax = ringCapacityEventsMax;
/** How long a connection actor gets to stop, in ms. */
export const connectionShutdownMs = 5_000;

/**
 * The largest piece of a flow's data in one `net.events` frame, in bytes. A frame between CPUs holds
 * 64 KiB at most (protocols/limits.ts), and a NIC's chunk may be as large: the NIC's CPU cuts it.
 */
export const farPieceBytesMax = 16 << 10;
/** Data bytes one `net.events` frame carries at most, pieces together. */
export const farFrameDataBytesMax = 48 << 10;
/** Pieces one chunk may be cut into at most: a chunk past `farPieceBytesMax` times this resets its flow. */
export const farPiecesPerChunkMax = 16;

assert(farPieceBytesMax <= farFrameDataBytesMax && farFrameDataBytesMax + (4 << 10) <= frameBytesMax, 'a frame of pieces and its events stays below a frame');
assert(farPieceBytesMax * farPiecesPerChunkMax >= 256 << 10, 'a chunk of up to 256 KiB crosses to a far owner');
assert(controlEventsPerFlowMax >= 4, 'a flow raises at least its open, writable, ended and closed events');
assert(sendQueueBytesMax >= 1 << 20, 'a blocked owner may queue at least one largest memcached item');
assert(classifierBatchEvents <= nicRingEventsMax, 'a classifier batch fits in a ring');
