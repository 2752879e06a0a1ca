/**
 * Bounds of the net subsystem, units last, checked against each other when the module loads.
 */
import { assert } from '../../ground/assert.js';
import { isPowerOfTwo } from '../ring/layout.js';
import { controlEventsPerFlowMax, dataEventBytesMax, receiveCreditChunksDefault } from '../../drivers/nic/nic.js';
import { hugePageBytes } from '../vm/limits.js';
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
 * Bytes of the VM a NIC keeps for packet buffers: the data of its flows whose owners run on other
 * CPUs waits there, in blocks, until each owner takes it (see packet-buffers.ts). A full pool is
 * backpressure: the rest of a flow's data waits in its channel, and its credits stop.
 */
export const packetPoolBytes = 8 << 20;
/** The smallest packet buffer, in bytes: a memcached request is usually smaller. */
export const packetBlockBytesMin = 512;
/** The largest packet buffer, in bytes: the largest chunk a NIC hands over (drivers/nic/nic.ts). */
export const packetBlockBytesMax = dataEventBytesMax;

/**
 * The largest piece of an owner's sends in one `net.ops` frame, in bytes. A frame between CPUs
 * holds 64 KiB at most (protocols/limits.ts), and one send may be far larger: its CPU cuts it.
 */
export const farPieceBytesMax = 16 << 10;
/** Data bytes one `net.ops` frame carries at most, pieces together. */
export const farFrameDataBytesMax = 48 << 10;

/** Bytes far owners on one CPU keep sent to the NIC's CPU and not yet taken there, at most (the same bound the other way). */
export const farUnackedBytesMax = 4 << 20;
/** The same, for one flow: one busy connection does not take a CPU's whole budget. */
export const farUnackedBytesPerFlowMax = 1 << 20;

/** Bytes an outbox holds before it refuses even the kernel's own frames (see actors/cpu/outbox.ts). */
const mustArriveBytes = outboxBytesMaxDefault * (1 + mustArriveReserveShare);
// A send is accepted whole while under budget, so the budget can be overshot by one largest send.
assert(farUnackedBytesMax + sendQueueBytesMax <= (mustArriveBytes * 3) / 4, 'sent data and one largest send leave a quarter of the bound to other frames');
assert(farUnackedBytesPerFlowMax <= farUnackedBytesMax, "a flow's budget fits in its CPU's");
assert(farPieceBytesMax <= farFrameDataBytesMax && farFrameDataBytesMax + (4 << 10) <= frameBytesMax, 'a frame of pieces and its ops stays below a frame');
assert(isPowerOfTwo(packetBlockBytesMin) && isPowerOfTwo(packetBlockBytesMax) && packetBlockBytesMin <= packetBlockBytesMax, 'packet buffers are buddies');
assert(packetPoolBytes % packetBlockBytesMax === 0, 'a pool is whole largest blocks');
assert(packetBlockBytesMax <= hugePageBytes && packetPoolBytes >= hugePageBytes, 'a block never straddles a huge page of the pool');
assert(packetPoolBytes >= 4 * receiveCreditChunksDefault * packetBlockBytesMax, "one flow's full credits take at most a quarter of the pool");
assert(controlEventsPerFlowMax >= 4, 'a flow raises at least its open, writable, ended and closed events');
assert(sendQueueBytesMax >= 1 << 20, 'a blocked owner may queue at least one largest memcached item');
assert(classifierBatchEvents <= nicRingEventsMax, 'a classifier batch fits in a ring');
