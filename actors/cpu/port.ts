/**
 * One CPU's end of the interconnect: its outbound rings with an encoder each, its inbound rings with
 * a decoder each, and its doorbell. Messages between CPUs are kernel messages (protocols/runtime.ts)
 * encoded with msgpackr and shared record structures; actor mail (envelopes and replies) travels
 * in mail frames, a hand-laid header before the msgpackr body (see mail-frames.ts).
 *
 * Structure sync. An encoder learns a new object shape the first time it packs one and uses its id
 * from that very frame on. Before any frame that may use an id the peer has not seen, the port puts
 * a `kernel.structures` frame with its whole table into the same ring; rings are FIFO, so the peer
 * imports the table before it decodes the frame. The count sent so far is tracked per ring, so a
 * table that could not be sent (ring full) is sent with the next frame that fits.
 */
import { invariantBroken } from '../../ground/assert.js';
import { SpscRing } from '../ring/spsc-ring.js';
import type { Codec, EncodedBytes } from '../../protocols/codec.js';
import { KERNEL_STRUCTURES, runtimeRegistry, type KernelStructures } from '../../protocols/runtime.js';
import { createFrameCodec } from '../../protocols/frame-codec.js';
import type { AnyMessage, SchemaRegistry } from '../../protocols/schema.js';
import type { StructureList } from '../../protocols/structure-table.js';
import { frameBytesMax } from '../../protocols/limits.js';
import { ProtocolError } from '../../protocols/protocol-error.js';
import { Doorbell } from './doorbell.js';
import { portableRefs } from './wire-refs.js';
import {
  envelopeHeaderBytesMax,
  envelopeHeaderBytesOf,
  mailFrameMarker,
  readMailFrame,
  replyHeaderBytes,
  writeEnvelopeHeader,
  writeReplyHeader,
} from './mail-frames.js';
import { ringBetween, type InterconnectMemory } from './interconnect.js';
import { framesPerPublishMax, pumpFramesPerSourceMax } from './limits.js';

/**
 * Frames up to this many bytes are copied out of a shared ring word by word: faster than a view and
 * `set`, which cost 36 ns before the first byte moves, and allocate.
 */
const copyByWordsBytesMax = 128;

interface OutLink {
  readonly ring: SpscRing;
  readonly codec: Codec<AnyMessage>;
  readonly bell: Doorbell;
  /** How many of the encoder's structures the peer has been sent. */
  exported: number;
  /** Frames staged in its ring and not yet published (see `CpuPort.publish`). */
  staged: number;
  /** In the port's list of peers to publish to. */
  listed: boolean;
}

interface InLink {
  readonly ring: SpscRing;
  readonly codec: Codec<AnyMessage>;
  readonly drainFrame: (bytes: Uint8Array, offset: number, length: number) => boolean;
}

/** Handles one decoded message from CPU `source`. */
export type PortDelivery = (source: number, message: AnyMessage) => void;

/** Whether a message can be delivered now, or must wait in its ring (see `CpuPort.pump`). */
export type PortAdmission = (message: AnyMessage) => boolean;

/** What a port does with what it receives, and which frames it knows. */
export interface CpuPortOptions {
  /** Handles each decoded message. */
  readonly deliver: PortDelivery;
  /** Whether a message can be delivered now, or must wait in its ring (default: always). */
  readonly admits?: PortAdmission;
  /** Turns the refs of a received body back into refs of this CPU (see wire-refs.ts). */
  readonly resolveRefs?: (body: unknown) => unknown;
  /** The frames its codecs know (default: the runtime's own; see FrameRegistry). */
  readonly schemas?: SchemaRegistry;
  /**
   * Runs a callback right after the current code (the kernel clock's `soon`): given, frames are
   * staged and published in batches (see `publish`); absent, each frame is published at once.
   */
  readonly soon?: (callback: () => void) => void;
}

/** Counters of a port, for stats and tests. */
export interface PortCounters {
  framesSent: number;
  framesReceived: number;
  structureSyncs: number;
  /** Frames that failed to decode (a broken peer); each is skipped and counted. */
  badFrames: number;
}

/**
 * @example
 * ```ts
 * const port = new CpuPort(1, memory, { deliver: (source, message) => route(source, message) });
 * port.send(0, { type: 'kernel.stop', to: pid, reason: 'shutdown' }); // false: ring full
 * port.pump();                                                          // frames handled
 * ```
 */
export class CpuPort {
  readonly doorbell: Doorbell;
  readonly counters: PortCounters = { framesSent: 0, framesReceived: 0, structureSyncs: 0, badFrames: 0 };
  private readonly outLinks: (OutLink | null)[] = [];
  private readonly inLinks: (InLink | null)[] = [];
  /** Sources whose rings still held frames when the last pump moved on. */
  private carry = 0;
  /** `InterconnectMemory.deaths`, as words, and their values when each peer's rings were mapped. */
  private readonly deathWords: Int32Array;
  private readonly deathsAtAttach: number[] = [];
  private pumping = false;
  /** A frame was refused during the current source's drain. */
  private refused = false;
  /**
   * The last pump left a frame in a ring because its mailbox was full: the CPU must run its actors
   * (which empties that mailbox) before pumping again, not spin on the pending mask.
   */
  blocked = false;
  /** Where inbound frames are copied to be decoded. */
  private readonly inScratch = new Uint8Array(frameBytesMax + envelopeHeaderBytesMax + 4);
  private readonly inScratchWords = new Int32Array(this.inScratch.buffer, 0, this.inScratch.length >> 2);
  private readonly inView = new DataView(this.inScratch.buffer);
  /**
   * A view of the bytes the encoder wrote the last outbound mail frame in (the plain-data writer's
   * buffer, or msgpackr's for a rare value), and the object it was made for: comparing the object is cheaper than
   * reading its `.buffer` and `.byteOffset` at every frame.
   */
  private outView: DataView = new DataView(new ArrayBuffer(0));
  private outViewOf: Uint8Array | null = null;
  /** The last error a bad frame raised, for diagnostics. */
  lastBadFrame: unknown = undefined;
  /**
   * Called when frames to `target` are published (see `offer`), with whether `target` was parked
   * (its doorbell notified it): simulated CPUs use it to know a CPU has work, since nobody there
   * waits on the doorbell, and a real CPU's loop to decide whether to spin for an answer.
   */
  onOffered: ((target: number, targetWasParked: boolean) => void) | null = null;
  /** The peers whose rings hold staged frames, each once. */
  private readonly stagedTargets: number[] = [];
  /** Its CPU crashed (see `sever`): nothing it stages is published any more. */
  private severed = false;
  private publishAsked = false;
  private readonly soon: ((callback: () => void) => void) | undefined;
  private readonly publishBound = () => {
    this.publishAsked = false;
    this.publish();
  };

  private readonly deliver: PortDelivery;
  private readonly admits: PortAdmission;
  private readonly resolveRefs: ((body: unknown) => unknown) | undefined;
  private readonly schemas: SchemaRegistry;

  constructor(
    readonly cpu: number,
    private readonly memory: InterconnectMemory,
    options: CpuPortOptions,
  ) {
    this.deliver = options.deliver;
    this.admits = options.admits ?? (() => true);
    this.resolveRefs = options.resolveRefs;
    this.schemas = options.schemas ?? runtimeRegistry;
    this.soon = options.soon;
    if (!(cpu >= 0 && cpu < memory.cpus)) invariantBroken(`cpu ${cpu} is not one of ${memory.cpus}`);
    this.doorbell = new Doorbell(memory.doorbells[cpu]!);
    this.deathWords = new Int32Array(memory.deaths);
    for (let peer = 0; peer < memory.cpus; peer++) {
      this.outLinks.push(null);
      this.inLinks.push(null);
      if (peer !== cpu) this.attachPeer(peer);
    }
  }

  get cpus(): number {
    return this.memory.cpus;
  }

  /**
   * Whether the incarnation of `peer` whose rings this port maps has died (the host counted a death
   * since `attachPeer`): readable in the middle of a turn, before the host's message can be taken.
   */
  peerDown(peer: number): boolean {
    return Atomics.load(this.deathWords, peer) !== this.deathsAtAttach[peer];
  }

  /**
   * (Re)maps the rings to and from `peer` from the interconnect memory, with fresh codecs: after a
   * peer CPU restarts, both directions start over, structure tables included.
   */
  attachPeer(peer: number): void {
    if (!(peer !== this.cpu && peer >= 0 && peer < this.memory.cpus)) invariantBroken(`bad peer cpu ${peer}`);
    const outCodec = createFrameCodec(this.schemas, { portableObjects: portableRefs });
    // The seeds are agreed without a sync; only shapes learned later must be sent.
    this.deathsAtAttach[peer] = Atomics.load(this.deathWords, peer);
    const out = SpscRing.attach(ringBetween(this.memory, this.cpu, peer));
    this.outLinks[peer] = {
      ring: out,
      codec: outCodec,
      bell: new Doorbell(this.memory.doorbells[peer]!),
      exported: outCodec.structureCount,
      staged: 0,
      listed: false,
    };
    const ring = SpscRing.attach(ringBetween(this.memory, peer, this.cpu));
    // Only this process's kernels write these rings, and their encoders validate every message.
    const codec = createFrameCodec(this.schemas, { decodedAnyFields: 'trust' });
    const resolveRefs = this.resolveRefs;
    // Frames are decoded from a private copy: msgpackr's native string extraction throws on
    // SharedArrayBuffer views and falls back after the exception (12x slower, docs/measured-limits.md §5.2).
    const scratch = this.inScratch;
    const scratchWords = this.inScratchWords;
    const ringWords = new Int32Array(ring.bytes.buffer, ring.bytes.byteOffset, ring.bytes.length >> 2);
    const view = this.inView;
    const drainFrame = (bytes: Uint8Array, offset: number, length: number): boolean => {
      copyOut(bytes, ringWords, offset, length, scratch, scratchWords);
      const message = scratch[0] === mailFrameMarker ? readMailFrame(codec, view, scratch, length, resolveRefs) : codec.decodeRange(scratch, 0, length);
      return this.received(peer, codec, message);
    };
    this.inLinks[peer] = { ring, codec, drainFrame };
    // The peer may have sent on the new ring already, and rung a bell this CPU spent on the old one
    // (a restarted CPU announces its names at once): mark the ring pending, waking this CPU if parked.
    this.doorbell.ring(peer);
  }

  /**
   * What this CPU put into the ring to `peer` that `peer` never took, decoded, in order: call it once
   * the peer's worker has exited (nothing consumes the ring any more) and before `attachPeer` maps
   * fresh rings. Bad frames are skipped.
   */
  unsentTo(peer: number): AnyMessage[] {
    const link = this.outLink(peer);
    // What was staged counts as sent: make it readable too.
    if (link.staged > 0) {
      link.ring.publish();
      link.staged = 0;
    }
    // A consumer's view of the ring as it is now; the producer's own instance caches a stale head.
    const ring = SpscRing.attach(link.ring.buffer);
    const scratch = new Uint8Array(frameBytesMax + envelopeHeaderBytesMax + 4);
    const view = new DataView(scratch.buffer);
    const unsent: AnyMessage[] = [];
    // A decoder that knows every structure the encoder has used, including those the peer imported from frames it took.
    const codec = createFrameCodec(this.schemas, { decodedAnyFields: 'trust' });
    codec.importStructures(link.codec.exportStructures());
    const take = (bytes: Uint8Array, offset: number, length: number): boolean => {
      scratch.set(bytes.subarray(offset, offset + length));
      const message = scratch[0] === mailFrameMarker ? readMailFrame(codec, view, scratch, length, this.resolveRefs) : codec.decodeRange(scratch, 0, length);
      if (message.type !== KERNEL_STRUCTURES) unsent.push(message);
      return true;
    };
    for (;;) {
      try {
        if (ring.drain(take, pumpFramesPerSourceMax) === 0) return unsent;
      } catch {
        // drain() counted the bad frame as consumed: go on with the rest.
      }
    }
  }

  /** Encodes `message` for `target` (validating it); throws ProtocolError for a message that cannot travel. */
  encode(target: number, message: AnyMessage): Uint8Array {
    const link = this.outLink(target);
    const frame = link.codec.encode(message);
    this.checkFits(target, link, frame.byteLength);
    return frame;
  }

  /**
   * Encodes a `kernel.envelope` for `target` as a mail frame (see mail-frames.ts), checking `body` as
   * plain data; `cause`, the id of the sender's `send` event, makes it a traced envelope (0: none).
   * Returns the frame where the encoder wrote it, valid until the next encode in this thread: offer
   * it at once or copy it.
   */
  encodeEnvelope(target: number, to: number, from: number, askId: number, body: unknown, cause = 0, deadlineMs = 0): EncodedBytes {
    const link = this.outLink(target);
    // The codec leaves room for the header in front of the body: the frame is whole without a copy.
    const frame = link.codec.encodeData(body, 'body', envelopeHeaderBytesOf(cause, deadlineMs));
    this.checkFits(target, link, frame.length);
    writeEnvelopeHeader(this.viewOf(frame.bytes), frame.offset, to, from, askId, link.codec.portablesInLastData > 0, cause, deadlineMs);
    return frame;
  }

  /** Encodes a `kernel.reply` for `target` as a mail frame; as `encodeEnvelope`. */
  encodeReply(target: number, askId: number, to: number, ok: boolean, body: unknown): EncodedBytes {
    const link = this.outLink(target);
    const frame = link.codec.encodeData(body, 'body', replyHeaderBytes);
    this.checkFits(target, link, frame.length);
    writeReplyHeader(this.viewOf(frame.bytes), frame.offset, askId, to, ok, link.codec.portablesInLastData > 0);
    return frame;
  }

  private viewOf(bytes: Uint8Array): DataView {
    if (bytes !== this.outViewOf) {
      this.outViewOf = bytes;
      this.outView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    return this.outView;
  }

  /**
   * A frame must fit the ring with room to spare (frames are at most half of it); refuse it here,
   * typed, rather than have the ring throw after the message was accepted.
   */
  private checkFits(target: number, link: OutLink, length: number): void {
    if (length > link.ring.frameLengthMax) {
      throw new ProtocolError('too-large', 'frame', `${length} bytes exceed the ${link.ring.frameLengthMax}-byte frame limit of the ring to cpu ${target}`);
    }
  }

  /**
   * Puts an encoded frame, `bytes[offset .. offset + length)` (from `encode(target, …)` or a mail
   * frame's range), into the ring to `target`. Returns false, having sent nothing of this frame,
   * when the ring is full.
   *
   * With a `soon` (a kernel's port), the frame is staged: it becomes visible to `target`, and its
   * doorbell rings, when the frames are published, one store and one ring for all of them: between
   * turns, right after the code that sent them, every `framesPerPublishMax` frames, or when the ring
   * fills. A store that the consumer polls costs a cache-line transfer between cores: per frame it
   * was a tenth of a cross-CPU tell's cost. What is staged for a parked CPU is published at once:
   * that CPU takes tens of µs to wake, and the wake starts sooner. (Testing its flag for only the
   * first frame of a batch measured no faster in a stream, and slower in a parked round trip.)
   */
  offer(target: number, bytes: Uint8Array, offset = 0, length = bytes.length): boolean {
    const link = this.outLink(target);
    const count = link.codec.structureCount;
    if (count !== link.exported) {
      const structures: KernelStructures = { type: KERNEL_STRUCTURES, list: link.codec.exportStructures() };
      // Aside: the frame offered may lie in the body encoder's buffer, which `encode` writes in.
      const sync = link.codec.encodeAside(structures);
      if (!this.stage(target, link, sync, 0, sync.length)) return false;
      link.exported = count;
      this.counters.structureSyncs++;
    }
    if (!this.stage(target, link, bytes, offset, length)) return false;
    this.counters.framesSent++;
    if (this.soon === undefined || link.staged >= framesPerPublishMax || link.bell.ownerParked()) this.publishTo(target, link);
    else if (!this.publishAsked) {
      this.publishAsked = true;
      this.soon(this.publishBound);
    }
    return true;
  }

  /**
   * Makes every staged frame visible to the CPU it went to, and rings its doorbell: one store and
   * one ring per peer. Called between turns, after each round of a CPU's loop, and soon after an offer.
   */
  publish(): void {
    const targets = this.stagedTargets;
    if (targets.length === 0) return;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      const link = this.outLinks[target];
      if (link == null) continue;
      link.listed = false;
      if (link.staged > 0) this.publishTo(target, link);
    }
    targets.length = 0;
  }

  /** Stages a frame in `link`'s ring; a full ring publishes what is staged, so its consumer makes room. */
  private stage(target: number, link: OutLink, bytes: Uint8Array, offset: number, length: number): boolean {
    if (!link.ring.stage(bytes, offset, length)) {
      this.publishTo(target, link);
      return false;
    }
    link.staged++;
    if (!link.listed) {
      link.listed = true;
      this.stagedTargets.push(target);
    }
    return true;
  }

  /**
   * This port's CPU crashed (a simulated CPU, see simulated-host.ts), and its kernel is dead, but
   * the promise continuations of its actors may still run in the thread and send: from now on what
   * they stage stays invisible (a frame is seen only once published), and no doorbell rings. The
   * peers still take what was published before, as they do from a worker that died.
   */
  sever(): void {
    this.severed = true;
    this.onOffered = null;
  }

  private publishTo(target: number, link: OutLink): void {
    if (this.severed) return;
    link.ring.publish();
    link.staged = 0;
    const targetWasParked = link.bell.ring(this.cpu);
    if (this.onOffered !== null) this.onOffered(target, targetWasParked);
  }

  /**
   * `offer`, into no more than `share` (0–1) of the ring to `target`: false, sending nothing, when
   * the frame would fill the ring past it. Frames that must not crowd out mail (the reports other
   * CPUs send CPU 0) leave the rest of the ring to it.
   */
  offerWithin(target: number, bytes: Uint8Array, share: number): boolean {
    const ring = this.outLink(target).ring;
    if (ring.usedBytes() + bytes.length > ring.capacityBytes * share) return false;
    return this.offer(target, bytes);
  }

  /** The data bytes of the ring to `target`. */
  ringBytesTo(target: number): number {
    return this.outLink(target).ring.capacityBytes;
  }

  /** `encode` then `offer`. */
  send(target: number, message: AnyMessage): boolean {
    return this.offer(target, this.encode(target, message));
  }

  /**
   * Drains the rings of every source that rang (at most `pumpFramesPerSourceMax` frames from each,
   * so one busy source cannot starve the others) and hands each message to the delivery callback.
   * Returns the number of frames taken. A frame that fails to decode is counted and skipped.
   *
   * Backpressure: a source's drain stops at a message that `admits` refuses (its actor's mailbox is
   * full while the actor works it down) and leaves it in the ring, first in line; the source is
   * drained again by a later pump, after the CPU ran its actors (`blocked` says so). A ring that
   * fills up meets the sender's overflow policy, as the CPUs issue asks.
   */
  pump(): number {
    // A frame's handler runs kernel code; should that reach a pump, a ring being drained cannot be
    // drained again from inside, so the inner pump does nothing.
    if (this.pumping) return 0;
    this.pumping = true;
    this.blocked = false;
    let mask = this.doorbell.take() | this.carry;
    this.carry = 0;
    let total = 0;
    try {
      while (mask !== 0) {
        const source = 31 - Math.clz32(mask & -mask);
        mask &= mask - 1;
        const link = this.inLinks[source];
        if (link == null) continue;
        this.refused = false;
        const taken = this.drainSource(link);
        total += taken;
        if (this.refused) this.blocked = true;
        if (taken === pumpFramesPerSourceMax || this.refused) this.carry |= 1 << source;
      }
    } finally {
      // Sources not reached (an exception escaped) are drained by the next pump.
      this.carry |= mask;
      this.pumping = false;
    }
    return total;
  }

  /** Whether a pump would find work (a source rang, or one was left with frames). */
  hasWork(): boolean {
    return this.carry !== 0 || this.doorbell.hasData();
  }

  private drainSource(link: InLink): number {
    let taken = 0;
    for (;;) {
      try {
        taken += link.ring.drain(link.drainFrame, pumpFramesPerSourceMax - taken);
        return taken;
      } catch (error) {
        // drain() counted the bad frame as consumed; skip it and go on with the rest.
        taken++;
        this.counters.badFrames++;
        this.lastBadFrame = error;
        if (taken >= pumpFramesPerSourceMax) return taken;
      }
    }
  }

  /** Hands one decoded frame on; false when `admits` refused it (it stays in the ring, first in line). */
  private received(source: number, codec: Codec<AnyMessage>, message: AnyMessage): boolean {
    if (message.type === KERNEL_STRUCTURES) {
      this.counters.framesReceived++;
      codec.importStructures((message as KernelStructures).list as StructureList);
      return true;
    }
    if (!this.admits(message)) {
      this.refused = true;
      return false;
    }
    this.counters.framesReceived++;
    this.deliver(source, message);
    return true;
  }

  private outLink(target: number): OutLink {
    const link = this.outLinks[target];
    if (!(link != null)) invariantBroken(`cpu ${this.cpu} has no ring to cpu ${target}`);
    return link;
  }
}

/**
 * Copies the frame `source[offset .. offset + length)` of a ring to the start of `target`
 * (`sourceWords` and `targetWords` view the same memory). A ring's payloads start 4-aligned and
 * their slots are padded to 4 bytes, so short frames move as whole words; the up to 3 bytes past
 * the frame that come along are slot padding, and land past the frame in the scratch.
 */
function copyOut(source: Uint8Array, sourceWords: Int32Array, offset: number, length: number, target: Uint8Array, targetWords: Int32Array): void {
  if (length <= copyByWordsBytesMax) {
    const first = offset >> 2;
    const words = (length + 3) >> 2;
    for (let i = 0; i < words; i++) targetWords[i] = sourceWords[first + i]!;
  } else {
    target.set(source.subarray(offset, offset + length));
  }
}
