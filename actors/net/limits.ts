/**
 * Bounds of the net subsystem, units last, checked against each other when the module loads.
 */
import { assert } from '../../ground/assert.js';
import { controlEventsPerFlowMax } from '../../drivers/nic/nic.js';
import { drainBatchEventsDefault, ringCapacityEventsMax } from '../irq/limits.js';
import { frameBytesMax } from '../../protocols/limits.js';
import { mustArriveReserveShare, outboxBytesMaxDefault } from '../cpu/limits.js';

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

/**
 * Data bytes the NIC's CPU keeps shipped to one other CPU and not yet given back (as credits), at
 * most. Frames between CPUs that find the ring full wait in an outbox up to a bound
 * (`outboxBytesMaxDefault` plus its must-arrive reserve) and are refused past it: shipping within a
 * budget well below keeps them from ever being refused. A flow's data past it waits in its channel.
 */
export const farShippedBytesMax = 4 << 20;
/** Bytes far owners on one CPU keep sent to the NIC's CPU and not yet taken there, at most (the same bound the other way). */
export const farUnackedBytesMax = 4 << 20;
/** The same, for one flow: one busy connection does not take a CPU's whole budget. */
export const farUnackedBytesPerFlowMax = 1 << 20;

/** Bytes an outbox holds before it refuses even the kernel's own frames (see actors/cpu/outbox.ts). */
const mustArriveBytes = outboxBytesMaxDefault * (1 + mustArriveReserveShare);
assert(farShippedBytesMax <= mustArriveBytes / 4, 'shipped data leaves most of the must-arrive bound to other frames');
// A send is accepted whole while under budget, so the budget can be overshot by one largest send.
assert(farUnackedBytesMax + sendQueueBytesMax <= (mustArriveBytes * 3) / 4, 'sent data and one largest send leave a quarter of the bound to other frames');
assert(farUnackedBytesPerFlowMax <= farUnackedBytesMax, "a flow's budget fits in its CPU's");
assert(farPieceBytesMax <= farFrameDataBytesMax && farFrameDataBytesMax + (4 << 10) <= frameBytesMax, 'a frame of pieces and its events stays below a frame');
assert(farPieceBytesMax * farPiecesPerChunkMax >= 256 << 10, 'a chunk of up to 256 KiB crosses to a far owner');
assert(controlEventsPerFlowMax >= 4, 'a flow raises at least its open, writable, ended and closed events');
assert(sendQueueBytesMax >= 1 << 20, 'a blocked owner may queue at least one largest memcached item');
assert(classifierBatchEvents <= nicRingEventsMax, 'a classifier batch fits in a ring');
