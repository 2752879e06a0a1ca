/**
 * A CPU's routing of kernel messages: what a kernel does with the interconnect. It turns tells and
 * asks to remote refs into envelope mail frames (refs in bodies included, see wire-refs.ts), runs
 * spawns and migrations that other CPUs ask for, answers forwarded asks with reply frames, carries
 * monitors (`kernel.monitor`, `kernel.down`), links (`kernel.link`, `kernel.exit`) and names
 * (`kernel.name`) across CPUs, and keeps the refs of actors it placed elsewhere valid across a
 * restart of their CPU.
 *
 * Backpressure: a full ring applies the sending kernel's `crossCpuOverflow` policy: `reject` (tell
 * returns false, an ask fails with RingFullError), `drop-newest` (a dead letter), or `wait` (the
 * default: the frame waits in a bounded per-CPU outbox, in order, for at most `outboxWaitMs`, then
 * becomes a dead letter; when the outbox is full too, the sending thread blocks until the consumer
 * makes room or that deadline passes). Nothing unbounded sits in front of a ring.
 */
import type { TimerHandle } from '../../drivers/clock/clock.js';
import { checkScheduling } from '../sched/entity.js';
import { entityOf } from '../sched/fair-dispatcher.js';
import { runtimeExported } from '../sched/decayed-runtime.js';
import { captureState, migrationBlocker, restoreState } from '../sched/migration.js';
import { runRemoteBatch } from '../irq/remote-line.js';
import { assert } from '../../ground/assert.js';
import { type Behavior, behaviorLabel } from '../runtime/behavior.js';
import { type Cell, Status } from '../runtime/cell.js';
import { AskTimeoutError, CpuDownError, describeError, RingFullError, SpawnFailedError } from '../../ground/errors.js';
import { messageTypeOf } from '../runtime/events.js';
import type { Kernel } from '../runtime/kernel.js';
import type { ActorRef } from '../runtime/ref.js';
import type { ExitReason } from '../runtime/signals.js';
import type { Message } from '../../ground/message.js';
import { pidCpu, type Pid } from '../../ground/pid.js';
import { BoundedQueue } from '../../ground/bounded-queue.js';
import type { SpawnOptions } from '../runtime/spawn-options.js';
import {
  KERNEL_DOWN, KERNEL_ENVELOPE, KERNEL_EXIT, KERNEL_INTERRUPTS, KERNEL_LINK, KERNEL_MIGRATE, KERNEL_MONITOR, KERNEL_NAME, KERNEL_REPLY, KERNEL_STATUS, KERNEL_STATUS_REQUEST, KERNEL_UNLINK, KERNEL_SPAWN, KERNEL_SPAWNED, KERNEL_STOP,
  type KernelInterrupts, type KernelMessage, type KernelMigrate, type KernelSpawn,
} from '../../protocols/runtime.js';
import type { BehaviorAddress, BehaviorCatalog } from './catalog.js';
import type { InterconnectMemory } from './interconnect.js';
import { blockedSendSleepMs, outboxMessagesMax, outboxRetryMs, outboxWaitMsDefault, remoteRefCacheMax } from './limits.js';
import { CpuPort } from './port.js';
import { RemoteCell, type RemoteSender } from './remote-cell.js';
import { resolveWireRefs } from './wire-refs.js';
import { flattenStatus, rebuildStatus, type WireStatus } from './remote-status.js';
import type { KernelStatus } from '../runtime/status.js';
import { RemoteWatcher, type DownReporter } from './remote-watcher.js';
import { fromWireError, toWireError } from './wire-error.js';
import type { EncodedBytes } from '../../protocols/codec.js';

/** What a full ring to another CPU does with a message (see the module doc). */
export type CrossCpuOverflow = 'reject' | 'drop-newest' | 'wait';

/** How a kernel joins an interconnect. */
export interface CpuNodeOptions {
  readonly cpu: number;
  readonly memory: InterconnectMemory;
  readonly catalog: BehaviorCatalog;
  readonly overflow?: CrossCpuOverflow;
  readonly outboxWaitMs?: number;
}

interface Waiting {
  readonly frame: Uint8Array;
  readonly message: unknown;
  readonly origin: number;
  readonly target: Cell | null;
  readonly deadlineMs: number;
}

/** An actor this CPU placed on another CPU: respawned there, behind the same ref, if that CPU restarts. */
interface Placement {
  readonly cell: RemoteCell;
  readonly address: BehaviorAddress;
  readonly options: SpawnOptions | undefined;
}

export class CpuNode implements RemoteSender, DownReporter {
  readonly cpu: number;
  readonly cpus: number;
  readonly port: CpuPort;
  readonly catalog: BehaviorCatalog;
  private readonly overflow: CrossCpuOverflow;
  private readonly outboxWaitMs: number;
  private readonly remoteCache = new Map<Pid, RemoteCell>();
  private readonly tickets = new Map<number, Placement>();
  private ticketNext = 1;
  private placeNext = 0;
  /** Live placements by CPU, keyed by the cell. */
  private readonly placements: Map<RemoteCell, Placement>[] = [];
  /** Status requests in flight: ask ticket → the CPU asked (see statusOf). */
  private readonly statusWaiters = new Map<number, number>();
  /** Names other CPUs' actors hold, as they announced them (see nameChanged). */
  private readonly remoteNames = new Map<string, Pid>();
  /** Remote cells local actors monitor or link to, by pid: tracked so that their stop, or their CPU's death, reaches those actors. */
  private readonly monitored = new Map<Pid, RemoteCell>();
  /** Watchers standing in for other CPUs' monitors of our actors, by `watcherKey`. */
  private readonly remoteWatchers = new Map<string, RemoteWatcher>();
  /** Local actors other CPUs spawned here: pid → the spawning CPU, told when the actor stops. */
  private readonly spawnedHere = new Map<Pid, number>();
  private readonly outboxes: (BoundedQueue<Waiting> | null)[] = [];
  private retryTimer: TimerHandle | null = null;
  private readonly down = new Set<number>();
  /** Pids of actors that migrated away from this CPU → where they went (frames to the old pid follow). */
  private readonly forwarded = new Map<Pid, RemoteCell>();
  /** A word to sleep on while blocked on a full ring; null where blocking is impossible (simulated). */
  private readonly sleeper: Int32Array | null;

  constructor(
    private readonly kernel: Kernel,
    options: CpuNodeOptions,
  ) {
    this.cpu = options.cpu;
    this.cpus = options.memory.cpus;
    this.catalog = options.catalog;
    this.overflow = options.overflow ?? 'wait';
    this.outboxWaitMs = options.outboxWaitMs ?? outboxWaitMsDefault;
    assert(this.outboxWaitMs > 0, 'outboxWaitMs must be positive');
    const refOf = (pid: Pid): ActorRef<never> => this.refFor(pid);
    this.port = new CpuPort(this.cpu, options.memory, (source, message) => this.handle(source, message), (message) => this.admits(message), (body) => resolveWireRefs(body, refOf));
    this.sleeper = options.memory.doorbells[0] instanceof SharedArrayBuffer ? new Int32Array(new SharedArrayBuffer(4)) : null;
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      this.placements.push(new Map());
      this.outboxes.push(null);
    }
  }

  // ---- refs and placement -------------------------------------------------------------------

  /** The ref target for `pid` on another CPU (one object per pid while cached). */
  remoteCell(pid: Pid): RemoteCell {
    const cpu = pidCpu(pid);
    assert(cpu !== this.cpu && cpu < this.cpus, () => `pid of cpu ${cpu} is not remote to cpu ${this.cpu} of ${this.cpus}`);
    let cell = this.remoteCache.get(pid);
    if (cell === undefined) {
      if (this.remoteCache.size >= remoteRefCacheMax) this.remoteCache.clear();
      cell = new RemoteCell(this.kernel, this, pid, cpu, 'remote', undefined);
      this.remoteCache.set(pid, cell);
    }
    return cell;
  }

  /**
   * The ref a ref that arrived in a message stands for: the actor's own where it lives here, a
   * remote ref otherwise, or, for an actor of this CPU that is gone, a ref whose messages are dead
   * letters (a stopped stand-in: nothing else answers to that pid any more).
   */
  private refFor(pid: Pid): ActorRef<never> {
    const ref = this.kernel.refOf(pid);
    if (ref !== undefined) return ref;
    const gone = new RemoteCell(this.kernel, this, pid, this.cpu, 'gone', undefined);
    gone.markStopped();
    return gone.ref as ActorRef<never>;
  }

  /** The CPU a spawn with `cpu` option `where` goes to. */
  placement(where: number | 'auto'): number {
    if (where === 'auto') {
      const cpu = this.placeNext;
      this.placeNext = (this.placeNext + 1) % this.cpus;
      return cpu;
    }
    if (!Number.isInteger(where) || where < 0 || where >= this.cpus) throw new RangeError(`cpu ${where} does not exist: this kernel runs cpus 0..${this.cpus - 1}`);
    return where;
  }

  /** Spawns `behavior` on `cpu` (not this one) and returns its ref at once; see RemoteCell. */
  spawnOn(cpu: number, behavior: Behavior<Message>, options: SpawnOptions | undefined): RemoteCell {
    assert(cpu !== this.cpu, 'spawnOn is for other CPUs');
    if (options !== undefined) checkScheduling(options);
    const address = this.catalog.addressOf(behavior as Behavior<never>);
    if (address === undefined) {
      throw new TypeError(`${behaviorLabel(behavior as Behavior<never>)} cannot start on cpu ${cpu}: no boot module exports it. Export it from a module listed in Kernel.boot({ modules }).`);
    }
    const cell = new RemoteCell(this.kernel, this, 0, cpu, address.exportName, options);
    const name = options?.name;
    if (name !== undefined) {
      cell.ensureExtras().name = name;
      this.kernel.registry.set(name, cell);
    }
    const placement: Placement = { cell, address, options };
    this.placements[cpu]!.set(cell, placement);
    this.requestSpawn(cpu, placement);
    return cell;
  }

  private requestSpawn(cpu: number, placement: Placement): void {
    if (this.down.has(cpu)) return; // sent when the CPU is back (see cpuUp)
    const ticket = this.ticketNext++;
    this.tickets.set(ticket, placement);
    // The same filter the far CPU applies: plain fields only (no `cpu`), so the frame always encodes.
    const options = spawnOptionsFrom(placement.options);
    const request: KernelSpawn = { type: KERNEL_SPAWN, ticket, module: placement.address.module, exportName: placement.address.exportName, options };
    if (!this.offerOrOverflow(cpu, wholeFrame(this.port.encode(cpu, request)), request, 0, null)) {
      this.tickets.delete(ticket);
      this.placements[cpu]!.delete(placement.cell);
      placement.cell.spawnFailed(new SpawnFailedError(cpu, placement.address.exportName, 'the ring to that cpu is full'));
    }
  }

  /** Asks the CPU of `cell` to stop it. */
  stopRemote(cell: RemoteCell): void {
    this.placements[cell.cpu]!.delete(cell);
    if (cell.pid === 0 || this.down.has(cell.cpu)) {
      cell.markStopped();
      return;
    }
    this.tellCpu(cell.cpu, { type: KERNEL_STOP, to: cell.pid, reason: 'shutdown' });
  }

  // ---- migration ----------------------------------------------------------------------------

  /**
   * Moves local actor `cell` to CPU `cpu` with its own fields, its mailbox (in order, asks
   * included) and its decayed runtime. Returns null once it is on its way, or why it cannot move, in
   * which case nothing changed. Its ref (one object, shared by every holder on this CPU) points at
   * the new home from now on; messages sent meanwhile are held and follow in order, and frames
   * other CPUs address to the old pid are forwarded.
   */
  migrate(cell: Cell, cpu: number): string | null {
    assert(cpu !== this.cpu && cpu >= 0 && cpu < this.cpus, () => `cpu ${cpu} is not another cpu of 0..${this.cpus - 1}`);
    const kernel = this.kernel;
    if (this.down.has(cpu)) return `cpu ${cpu} is down`;
    const blocker = migrationBlocker(cell, kernel.userRoot);
    if (blocker !== null) return blocker;
    const address = this.catalog.addressOf(cell.behavior as Behavior<never>);
    if (address === undefined) return 'its behaviour is not exported by a boot module';
    let state: Record<string, unknown> | null;
    try {
      state = captureState(cell);
    } catch (error) {
      return `its state cannot move: ${describeError(error)}`;
    }
    const bodies: unknown[] = [];
    const origins: number[] = [];
    cell.mailbox?.drain((body, origin) => {
      bodies.push(body);
      origins.push(origin);
    });
    const runtime = kernel.dispatcher.release(cell);
    const ticket = this.ticketNext++;
    const request: KernelMigrate = { type: KERNEL_MIGRATE, ticket, from: cell.pid, module: address.module, exportName: address.exportName, options: spawnOptionsFrom(cell.options), state, runtime, bodies, origins };
    let frame: Uint8Array | null = null;
    let why = '';
    try {
      frame = this.port.encode(cpu, request);
    } catch (error) {
      why = `its state or messages cannot be encoded: ${describeError(error)}`;
    }
    if (frame !== null && !this.offerOrOverflow(cpu, wholeFrame(frame), request, 0, null)) why = `the ring to cpu ${cpu} is full`;
    if (why !== '') {
      // Back as it was: the messages return in order (they fit: they came out of this mailbox).
      for (let i = 0; i < bodies.length; i++) cell.mailbox!.offer(bodies[i], origins[i]!, 0);
      kernel.dispatcher.wake(cell);
      return why;
    }
    const remote = new RemoteCell(kernel, this, 0, cpu, address.exportName, cell.options);
    (remote as { ref: Cell['ref'] }).ref = cell.ref;
    cell.ref.cell = remote;
    const name = cell.extras?.name;
    kernel.lifecycle.retire(cell);
    if (name !== undefined) {
      remote.ensureExtras().name = name;
      kernel.registry.set(name, remote);
    }
    const placement: Placement = { cell: remote, address, options: cell.options };
    this.placements[cpu]!.set(remote, placement);
    this.tickets.set(ticket, placement);
    this.forwarded.set(cell.pid, remote);
    return null;
  }

  private migrateArrived(source: number, request: KernelMigrate): void {
    const kernel = this.kernel;
    const bodies = request.bodies as unknown[];
    const origins = request.origins as number[];
    const pid = this.spawnFor(source, request, (behavior) => {
      const cell = kernel.lifecycle.spawnWithSpec(kernel.userRoot, behavior, spawnOptionsFrom(request.options), undefined, (instance) => restoreState(instance, request.state));
      // The runtime arrives exported (R, not R·c): the first wake converts it to this CPU's scale.
      const entity = entityOf(cell);
      entity.runtime = request.runtime;
      entity.renormalizeCount = runtimeExported;
      for (let i = 0; i < bodies.length; i++) {
        const origin = origins[i]!;
        if (origin >= 0) {
          cell.deliver(bodies[i], origin);
        } else {
          // An ask the source CPU waits on: answer it there, under its own id.
          const id = kernel.asks.forward(0, cell, (ok, value) => this.reply(source, -origin, 0, ok, value));
          cell.deliver(bodies[i], -id);
        }
      }
      return cell.pid;
    });
    if (pid === 0) for (let i = 0; i < bodies.length; i++) kernel.deadLetter(bodies[i], origins[i]!, null, 'stopped');
  }

  // ---- sending ------------------------------------------------------------------------------

  /** RemoteCell.deliver: one envelope, encoded once, into the ring to the actor's CPU. */
  sendEnvelope(cell: RemoteCell, message: unknown, origin: number): boolean {
    const kernel = this.kernel;
    const cpu = cell.cpu;
    if (this.down.has(cpu)) {
      if (origin < 0) kernel.asks.reject(-origin, new CpuDownError(cpu, cell.describe(), 'its worker is restarting'));
      else kernel.deadLetter(message, origin, cell, 'stopped');
      return false;
    }
    if (kernel.tracing.active) kernel.traceSend(origin, cell.pid, message);
    const from = origin < 0 ? kernel.currentPid : origin;
    const frame = this.port.encodeEnvelope(cpu, cell.pid, from, origin < 0 ? -origin : 0, message);
    return this.offerOrOverflow(cpu, frame, message, origin, cell);
  }

  /**
   * Hands a batch of interrupt events from vector `vector` of this CPU to handler `cell` on its CPU
   * (a vector follows its handler, see actors/irq/remote-line.ts). Resolves once the handler had
   * them; rejects if they never reached it, at the latest after `deadlineMs`.
   */
  sendInterrupts(cell: RemoteCell, vector: number, events: readonly unknown[], deadlineMs?: number): Promise<unknown> {
    if (cell.pid === 0) return cell.whenSpawned().then(() => this.sendInterrupts(cell, vector, events, deadlineMs));
    const kernel = this.kernel;
    return new Promise((resolve, reject) => {
      const askId = kernel.asks.forward(0, cell, (ok, value) => (ok ? resolve(value) : reject(value)), deadlineMs);
      const cpu = cell.cpu;
      if (this.down.has(cpu)) {
        kernel.asks.reject(askId, new CpuDownError(cpu, cell.describe(), 'its worker is restarting'));
        return;
      }
      const request: KernelInterrupts = { type: KERNEL_INTERRUPTS, to: cell.pid, askId, vector, events };
      let frame: Uint8Array;
      try {
        frame = this.port.encode(cpu, request);
      } catch (error) {
        kernel.asks.reject(askId, error);
        return;
      }
      this.offerOrOverflow(cpu, wholeFrame(frame), request, -askId, cell);
    });
  }

  /** Sends kernel message `message` to CPU `cpu` under the overflow policy; nothing if that CPU is down. */
  private tellCpu(cpu: number, message: KernelMessage): void {
    if (this.down.has(cpu)) return;
    this.offerOrOverflow(cpu, wholeFrame(this.port.encode(cpu, message)), message, 0, null);
  }

  private offerOrOverflow(cpu: number, frame: EncodedBytes, message: unknown, origin: number, target: Cell | null): boolean {
    const outbox = this.outboxes[cpu];
    // Frames already waiting go first, in order; the consumer may have made room since.
    if (outbox !== null && outbox.count > 0) this.flushOutbox(cpu, outbox, this.kernel.clock.now());
    if ((outbox === null || outbox.count === 0) && this.port.offer(cpu, frame.bytes, frame.offset, frame.length)) return true;
    const kernel = this.kernel;
    switch (this.overflow) {
      case 'reject':
        if (origin < 0) kernel.asks.reject(-origin, this.ringFull(cpu, target, message));
        return false;
      case 'drop-newest':
        kernel.deadLetter(message, origin, target, 'ring-full');
        if (origin < 0) kernel.asks.reject(-origin, this.ringFull(cpu, target, message));
        return false;
      case 'wait': {
        const queue = outbox ?? (this.outboxes[cpu] = new BoundedQueue<Waiting>(outboxMessagesMax, 64));
        const deadlineMs = kernel.clock.now() + this.outboxWaitMs;
        // The frame lies in msgpackr's buffer, which the next encode reuses: keep a copy while it waits.
        const waiting: Waiting = { frame: frame.bytes.slice(frame.offset, frame.offset + frame.length), message, origin, target, deadlineMs };
        if (!queue.push(waiting) && !(this.blockUntilRoom(cpu, queue, deadlineMs) && queue.push(waiting))) {
          kernel.deadLetter(message, origin, target, 'ring-full');
          if (origin < 0) kernel.asks.reject(-origin, this.ringFull(cpu, target, message));
          return false;
        }
        this.armRetry();
        return true;
      }
    }
  }

  /**
   * The outbox is full too: block this thread until the consumer makes room or the deadline passes
   * (real backpressure: the sending CPU stops handling messages, as a blocking write would). While
   * blocked it keeps taking frames from its own inbound rings into mailboxes, so two CPUs streaming
   * into each other's full rings cannot deadlock; what no mailbox can hold meets that mailbox's
   * overflow policy. Simulated CPUs share one thread, where nobody else could make room, so they
   * never block: the message is a dead letter at once.
   */
  private blockUntilRoom(cpu: number, queue: BoundedQueue<Waiting>, deadlineMs: number): boolean {
    const sleeper = this.sleeper;
    if (sleeper === null) return false;
    const clock = this.kernel.clock;
    while (this.flushOutbox(cpu, queue, clock.now()) >= queue.capacity) {
      if (clock.now() >= deadlineMs) return false;
      if (this.port.pump() > 0) continue;
      // Sleeps without spinning a core the consumer may need (this box has two).
      Atomics.wait(sleeper, 0, 0, blockedSendSleepMs);
    }
    return true;
  }

  private ringFull(cpu: number, target: Cell | null, message: unknown): RingFullError {
    return new RingFullError(cpu, target?.describe() ?? `cpu ${cpu}`, messageTypeOf(message));
  }

  /** Moves waiting frames into rings that have room again; expired ones become dead letters. */
  flushOutboxes(): void {
    // Called after every busy round of the CPU loop: the clock is read only if something waits.
    let now = -1;
    let waiting = false;
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const queue = this.outboxes[cpu];
      if (queue == null || queue.count === 0) continue;
      if (now < 0) now = this.kernel.clock.now();
      if (this.flushOutbox(cpu, queue, now) > 0) waiting = true;
    }
    if (waiting) this.armRetry();
  }

  /** Sends what fits of one outbox; returns how many frames still wait. */
  private flushOutbox(cpu: number, queue: BoundedQueue<Waiting>, now: number): number {
    while (queue.count > 0) {
      const head = queue.peek();
      if (head.deadlineMs <= now) {
        queue.shift();
        this.kernel.deadLetter(head.message, head.origin, head.target, 'ring-full');
        if (head.origin < 0) this.kernel.asks.reject(-head.origin, this.ringFull(cpu, head.target, head.message));
      } else if (this.port.offer(cpu, head.frame)) {
        queue.shift();
      } else {
        break;
      }
    }
    return queue.count;
  }

  /** Frames waiting in outboxes. */
  get waitingFrames(): number {
    let count = 0;
    for (const queue of this.outboxes) count += queue?.count ?? 0;
    return count;
  }

  private armRetry(): void {
    if (this.retryTimer !== null) return;
    this.retryTimer = this.kernel.clock.setTimer(outboxRetryMs, () => {
      this.retryTimer = null;
      this.flushOutboxes();
    });
  }

  // ---- receiving ----------------------------------------------------------------------------

  /** Takes what other CPUs sent and routes it. Returns the frames handled. */
  pump(): number {
    return this.port.pump();
  }

  /**
   * Whether `message` can be handled now. A tell or ask whose actor's mailbox is full waits in the
   * ring (backpressure on its sender) while that actor is working its mailbox down. An actor that
   * cannot (it awaits an async handler, or is not running) gets it now and its mailbox's overflow
   * policy applies, so one stalled actor cannot hold up everything else its CPU is sent.
   */
  private admits(message: KernelMessage): boolean {
    if (message.type !== KERNEL_ENVELOPE) return true;
    const cell = this.kernel.slots.get(message.to, pidOf);
    if (cell === undefined || cell.mailbox === null || !cell.mailbox.isFull) return true;
    return cell.status !== Status.Running || cell.busy;
  }

  private handle(source: number, message: KernelMessage): void {
    const kernel = this.kernel;
    switch (message.type) {
      case KERNEL_ENVELOPE: {
        const cell = kernel.slots.get(message.to, pidOf) ?? this.forwarded.get(message.to);
        if (message.askId === 0) {
          if (cell !== undefined) cell.deliver(message.body, message.from);
          else kernel.deadLetter(message.body, message.from, null, 'stopped');
          return;
        }
        const { askId, from } = message;
        const id = kernel.asks.forward(from, cell ?? null, (ok, value) => this.reply(source, askId, from, ok, value));
        if (cell !== undefined) cell.deliver(message.body, -id);
        else kernel.deadLetter(message.body, -id, null, 'stopped');
        return;
      }
      case KERNEL_REPLY:
        if (message.ok) kernel.asks.resolve(message.askId, message.body);
        else kernel.asks.reject(message.askId, fromWireError(message.body));
        return;
      case KERNEL_SPAWN:
        this.spawnRequested(source, message);
        return;
      case KERNEL_MIGRATE:
        this.migrateArrived(source, message);
        return;
      case KERNEL_INTERRUPTS: {
        const { askId, vector, events } = message;
        const settle = (ok: boolean, value: unknown): void => this.reply(source, askId, 0, ok, value);
        const cell = kernel.slots.get(message.to, pidOf) ?? this.forwarded.get(message.to);
        // The handler moved on from here: pass the batch along, and its answer back.
        if (cell instanceof RemoteCell) this.sendInterrupts(cell, vector, events as unknown[]).then((value) => settle(true, value), (error: unknown) => settle(false, error));
        else runRemoteBatch(cell, vector, events, settle);
        return;
      }
      case KERNEL_SPAWNED: {
        const placement = this.tickets.get(message.ticket);
        if (placement === undefined) return; // its CPU restarted since; a fresh request is out
        this.tickets.delete(message.ticket);
        if (message.error !== '') {
          this.placements[source]!.delete(placement.cell);
          placement.cell.spawnFailed(new SpawnFailedError(source, placement.address.exportName, message.error));
          return;
        }
        if (placement.cell.status === Status.Stopped) {
          // Stopped while its spawn was in flight: stop what the far CPU just started.
          this.tellCpu(source, { type: KERNEL_STOP, to: message.pid, reason: 'shutdown' });
          return;
        }
        placement.cell.spawnedAs(message.pid);
        this.remoteCache.set(message.pid, placement.cell);
        return;
      }
      case KERNEL_STOP: {
        const cell = kernel.slots.get(message.to, pidOf);
        if (cell !== undefined) void kernel.lifecycle.terminate(cell, 'shutdown', undefined, true);
        return;
      }
      case KERNEL_DOWN: {
        const reason = exitReasonOf(message.reason);
        // An actor we placed on `source` stopped there: it is not respawned if that CPU restarts.
        for (const placement of this.placements[source]!.values()) {
          if (placement.cell.pid !== message.pid) continue;
          this.placements[source]!.delete(placement.cell);
          placement.cell.markStopped(reason);
          break;
        }
        const gone = this.remoteCache.get(message.pid) ?? this.monitored.get(message.pid);
        gone?.markStopped(reason);
        this.remoteCache.delete(message.pid);
        this.monitored.delete(message.pid);
        if (gone !== undefined) for (const [pid, remote] of this.forwarded) if (remote === gone) this.forwarded.delete(pid);
        return;
      }
      case KERNEL_MONITOR:
        this.monitorFor(source, message.pid);
        return;
      case KERNEL_NAME:
        this.nameNoticed(message.name, message.pid, message.registered);
        return;
      case KERNEL_LINK:
        this.linkFor(source, message.from, message.to);
        return;
      case KERNEL_STATUS_REQUEST:
        this.statusRequested(source, message.ticket);
        return;
      case KERNEL_STATUS:
        this.statusAnswered(source, message.ticket, message.status, message.error);
        return;
      case KERNEL_UNLINK:
        this.unlinkFor(message.from, message.to);
        return;
      case KERNEL_EXIT:
        this.exitFrom(source, message.to, message.from, exitReasonOf(message.reason));
        return;
      default:
        this.port.counters.badFrames++;
    }
  }

  // ---- monitors across CPUs ------------------------------------------------------------------

  /** RemoteCell: local actors monitor `cell`; ask its CPU to report the actor's stop. */
  requestMonitor(cell: RemoteCell): void {
    assert(cell.pid !== 0, 'a monitor request needs the pid the far CPU chose');
    if (this.down.has(cell.cpu)) return; // cpuDown has told the watchers already
    this.monitored.set(cell.pid, cell);
    this.tellCpu(cell.cpu, { type: KERNEL_MONITOR, pid: cell.pid });
  }

  /** CPU `source` monitors our actor `pid` (as it knows it): watch it on that CPU's behalf. */
  private monitorFor(source: number, pid: Pid): void {
    const key = watcherKey(source, pid);
    if (this.remoteWatchers.has(key)) return;
    const target = this.kernel.slots.get(pid, pidOf) ?? this.forwarded.get(pid);
    if (target === undefined) {
      this.sendDown(source, pid, 'noproc');
      return;
    }
    const watcher = new RemoteWatcher(this.kernel, this, source, pid, target);
    this.remoteWatchers.set(key, watcher);
    // An actor that moved on is watched where it went, through its stand-in here.
    this.kernel.lifecycle.monitor(watcher, target);
    if (target instanceof RemoteCell && target.extras?.watchers?.size === 1 && target.pid !== 0) this.requestMonitor(target);
  }

  /** RemoteWatcher: the actor CPU `cpu` monitors as `pid` stopped. */
  reportDown(cpu: number, pid: Pid, reason: ExitReason, watcher: RemoteWatcher): void {
    if (this.remoteWatchers.get(watcherKey(cpu, pid)) === watcher) this.remoteWatchers.delete(watcherKey(cpu, pid));
    this.sendDown(cpu, pid, reason);
  }

  private sendDown(cpu: number, pid: Pid, reason: ExitReason): void {
    this.tellCpu(cpu, { type: KERNEL_DOWN, watcher: 0, pid, reason });
  }

  // ---- links across CPUs ---------------------------------------------------------------------

  /** Cell.link: `local` linked itself to `cell`, an actor of another CPU; that CPU links it back. */
  requestLink(local: Cell, cell: RemoteCell): void {
    if (this.down.has(cell.cpu)) return;
    this.monitored.set(cell.pid, cell);
    this.tellCpu(cell.cpu, { type: KERNEL_LINK, from: local.pid, to: cell.pid });
  }

  /** Cell.unlink: `local` unlinked itself from `cell`; that CPU drops its half of the link. */
  requestUnlink(local: Cell, cell: RemoteCell): void {
    this.tellCpu(cell.cpu, { type: KERNEL_UNLINK, from: local.pid, to: cell.pid });
  }

  /** RemoteCell: `from`, a local actor linked to `cell`, exited; tell the actor's CPU. */
  sendExit(cell: RemoteCell, from: Cell, reason: ExitReason): void {
    this.tellCpu(cell.cpu, { type: KERNEL_EXIT, to: cell.pid, from: from.pid, reason });
  }

  /** CPU `source` linked its actor `from` to our actor `to`: link `to` back to its stand-in. */
  private linkFor(source: number, from: Pid, to: Pid): void {
    const target = this.kernel.slots.get(to, pidOf);
    if (target === undefined || target.status === Status.Stopped) {
      this.tellCpu(source, { type: KERNEL_EXIT, to: from, from: to, reason: 'noproc' });
      return;
    }
    const linked = this.remoteCell(from);
    // Tracked, so that if `source` dies, `to` gets its exit (see cpuDown).
    this.monitored.set(from, linked);
    this.kernel.lifecycle.link(target, linked);
  }

  /** CPU `source`'s actor `from` unlinked itself from our actor `to`. */
  private unlinkFor(from: Pid, to: Pid): void {
    const target = this.kernel.slots.get(to, pidOf);
    const linked = this.remoteCache.get(from) ?? this.monitored.get(from);
    if (target === undefined || linked === undefined) return;
    target.extras?.links?.delete(linked);
    linked.extras?.links?.delete(target);
  }

  /** An actor of CPU `source` linked to our actor `to` exited: as a local link's exit would. */
  private exitFrom(source: number, to: Pid, from: Pid, reason: ExitReason): void {
    const target = this.kernel.slots.get(to, pidOf);
    const linked = this.remoteCache.get(from) ?? this.monitored.get(from);
    // Unlinked since (an exit can cross the unlink in flight), or gone.
    if (target === undefined || linked === undefined || target.extras?.links?.has(linked) !== true) return;
    // A crash leaves the link, as locally: the actor may restart in place and crash again.
    if (reason !== 'crashed') {
      target.extras.links.delete(linked);
      linked.extras?.links?.delete(target);
    }
    target.pushSystem({ kind: 'exit', from: linked, reason, error: undefined });
  }


  // ---- names across CPUs ---------------------------------------------------------------------

  /**
   * Lifecycle: local actor `pid` took or gave up `name`; tell every other CPU. Names in the
   * `kernel.` namespace belong to each CPU's own system actors and stay home.
   */
  nameChanged(name: string, pid: Pid, registered: boolean): void {
    if (name.startsWith(perCpuNamePrefix)) return;
    for (let cpu = 0; cpu < this.cpus; cpu++) if (cpu !== this.cpu) this.tellCpu(cpu, { type: KERNEL_NAME, name, pid, registered });
  }

  /** Kernel.lookup: the actor another CPU announced under `name`, if any. */
  lookupName(name: string): ActorRef<never> | undefined {
    const pid = this.remoteNames.get(name);
    return pid === undefined ? undefined : this.kernel.refOf(pid);
  }

  private nameNoticed(name: string, pid: Pid, registered: boolean): void {
    if (registered) this.remoteNames.set(name, pid);
    // A name can move (an actor migrated): only the holder it names gives it up.
    else if (this.remoteNames.get(name) === pid) this.remoteNames.delete(name);
  }

  private spawnRequested(source: number, request: KernelSpawn): void {
    this.spawnFor(source, request, (behavior) => this.kernel.spawn(behavior, spawnOptionsFrom(request.options)).pid);
  }

  /**
   * Starts an actor CPU `source` asked for (`kernel.spawn` or `kernel.migrate`) with `start` and
   * answers `kernel.spawned`: the pid, or 0 and why. Returns the pid (0 when it failed).
   */
  private spawnFor(source: number, request: { readonly ticket: number; readonly module: number; readonly exportName: string }, start: (behavior: Behavior<Message>) => Pid): Pid {
    const behavior = this.catalog.behaviorAt(request.module, request.exportName);
    let pid = 0;
    let error = '';
    if (behavior === undefined) {
      error = `boot module ${request.module} exports no behaviour '${request.exportName}' on this cpu`;
    } else {
      try {
        pid = start(behavior);
        this.spawnedHere.set(pid, source);
      } catch (thrown) {
        error = describeError(thrown);
      }
    }
    this.tellCpu(source, { type: KERNEL_SPAWNED, ticket: request.ticket, pid, error });
    return pid;
  }

  private reply(source: number, askId: number, to: Pid, ok: boolean, value: unknown): void {
    if (this.down.has(source)) return; // the asker's CPU died; its asks died with it
    let frame: EncodedBytes;
    try {
      frame = this.port.encodeReply(source, askId, to, ok, ok ? value : toWireError(value));
    } catch (error) {
      // A reply that cannot travel (a function, a class instance) fails the ask instead of hanging it.
      frame = this.port.encodeReply(source, askId, to, false, toWireError(error));
    }
    this.offerOrOverflow(source, frame, value, 0, null);
  }

  /** Kernel hook: a local actor stopped; tell the CPU that placed it here, if another did, and why. */
  localStopped(cell: Cell, reason: ExitReason): void {
    const source = this.spawnedHere.get(cell.pid);
    if (source === undefined) return;
    this.spawnedHere.delete(cell.pid);
    this.tellCpu(source, { type: KERNEL_DOWN, watcher: 0, pid: cell.pid, reason });
  }

  // ---- status of other CPUs -------------------------------------------------------------------

  /** Kernel.cpuStatuses: CPU `cpu`'s snapshot; rejects if it does not come within `deadlineMs`. */
  statusOf(cpu: number, deadlineMs?: number): Promise<KernelStatus> {
    return new Promise((resolve, reject) => {
      if (this.down.has(cpu)) {
        reject(new CpuDownError(cpu, `kernel.cpu.${cpu}`, 'it is restarting'));
        return;
      }
      const ticket = this.kernel.asks.forward(0, null, (ok, value) => {
        this.statusWaiters.delete(ticket);
        if (ok) resolve(value as KernelStatus);
        else reject(value instanceof AskTimeoutError ? new AskTimeoutError(`kernel.cpu.${cpu}`, KERNEL_STATUS_REQUEST, value.deadlineMs) : value);
      }, deadlineMs);
      this.statusWaiters.set(ticket, cpu);
      this.tellCpu(cpu, { type: KERNEL_STATUS_REQUEST, ticket });
    });
  }

  /** CPU `source` asks for our snapshot; one too large for a frame is answered with why. */
  private statusRequested(source: number, ticket: number): void {
    try {
      this.tellCpu(source, { type: KERNEL_STATUS, ticket, status: flattenStatus(this.kernel.status()), error: '' });
    } catch (error) {
      this.tellCpu(source, { type: KERNEL_STATUS, ticket, status: null, error: describeError(error) });
    }
  }

  private statusAnswered(source: number, ticket: number, status: unknown, error: string): void {
    if (this.statusWaiters.get(ticket) !== source) return; // timed out, or not ours
    const asks = this.kernel.asks;
    if (error !== '') {
      asks.reject(ticket, new Error(`cpu ${source} could not send its status: ${error}`));
      return;
    }
    try {
      asks.resolve(ticket, rebuildStatus(status as WireStatus));
    } catch (thrown) {
      asks.reject(ticket, thrown);
    }
  }

  // ---- CPUs going down and coming back ------------------------------------------------------

  /**
   * CPU `cpu` died: asks waiting on its actors fail with CpuDownError, refs to actors it merely
   * hosted go dead, and actors this CPU placed there wait (holding messages) for its restart.
   */
  cpuDown(cpu: number, why: string): void {
    if (this.down.has(cpu)) return;
    this.down.add(cpu);
    const kernel = this.kernel;
    kernel.asks.rejectWhere((to) => to.isRemote() && (to as RemoteCell).cpu === cpu, (to) => new CpuDownError(cpu, to.describe(), why));
    // Their actors died with it: watchers here get `down`, reason `killed`.
    for (const [pid, cell] of [...this.remoteCache, ...this.monitored]) {
      if (cell.cpu !== cpu) continue;
      this.remoteCache.delete(pid);
      this.monitored.delete(pid);
      // Refs of actors we placed there stay valid: those actors restart with their CPU.
      cell.exitLinks('killed');
      if (!this.placements[cpu]!.has(cell)) cell.markStopped('killed');
    }
    for (const [ticket, waited] of this.statusWaiters) if (waited === cpu) kernel.asks.reject(ticket, new CpuDownError(cpu, `kernel.cpu.${cpu}`, why));
    // Its names died with its actors; its next incarnation announces its own.
    for (const [name, pid] of this.remoteNames) if (pidCpu(pid) === cpu) this.remoteNames.delete(name);
    // Nobody there watches our actors any more.
    for (const [key, watcher] of this.remoteWatchers) {
      if (watcher.sourceCpu !== cpu) continue;
      watcher.detach();
      this.remoteWatchers.delete(key);
    }
    for (const [ticket, placement] of this.tickets) if (placement.cell.cpu === cpu) this.tickets.delete(ticket);
    for (const placement of this.placements[cpu]!.values()) {
      placement.cell.exitLinks('killed');
      placement.cell.respawning();
    }
    for (const [pid, source] of this.spawnedHere) if (source === cpu) this.spawnedHere.delete(pid);
    const queue = this.outboxes[cpu];
    while (queue != null && queue.count > 0) {
      const waiting = queue.shift();
      kernel.deadLetter(waiting.message, waiting.origin, waiting.target, 'stopped');
    }
  }

  /** CPU `cpu` is back on fresh rings: map them, tell it our names, and respawn what this CPU had placed there. */
  cpuUp(cpu: number): void {
    this.port.attachPeer(cpu);
    this.down.delete(cpu);
    for (const [name, cell] of this.kernel.registry) {
      if (cell.isRemote() || cell.status === Status.Stopped || name.startsWith(perCpuNamePrefix)) continue;
      this.tellCpu(cpu, { type: KERNEL_NAME, name, pid: cell.pid, registered: true });
    }
    for (const placement of this.placements[cpu]!.values()) this.requestSpawn(cpu, placement);
  }

  isDown(cpu: number): boolean {
    return this.down.has(cpu);
  }
}

/** Names that each CPU has its own of (its system actors): never announced to the others. */
const perCpuNamePrefix = 'kernel.';

function watcherKey(cpu: number, pid: Pid): string {
  return `${cpu}:${pid}`;
}

const exitReasons: ReadonlySet<string> = new Set<ExitReason>(['normal', 'shutdown', 'killed', 'crashed', 'noproc']);

/** The exit reason a `kernel.down` or `kernel.exit` frame names; a kernel writes only these. */
function exitReasonOf(reason: string): ExitReason {
  return exitReasons.has(reason) ? (reason as ExitReason) : 'noproc';
}

function pidOf(cell: Cell): Pid {
  return cell.pid;
}

/** The known, plain fields of spawn options (what a `kernel.spawn` frame carries). */
function spawnOptionsFrom(value: unknown): SpawnOptions {
  const options = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const result: { -readonly [K in keyof SpawnOptions]: SpawnOptions[K] } = {};
  if (typeof options.name === 'string') result.name = options.name;
  if (typeof options.mailboxCapacity === 'number') result.mailboxCapacity = options.mailboxCapacity;
  if (options.overflow === 'reject' || options.overflow === 'drop-newest' || options.overflow === 'drop-oldest') result.overflow = options.overflow;
  if (typeof options.shutdown === 'number' || options.shutdown === 'brutal-kill') result.shutdown = options.shutdown;
  // Checked again by the far CPU's spawn, which answers a bad value with a typed spawn failure.
  if (typeof options.priority === 'number' || options.priority === 'realtime' || options.priority === 'idle') result.priority = options.priority;
  if (typeof options.pinned === 'boolean') result.pinned = options.pinned;
  return result;
}

/** A kernel message's frame as the range `offerOrOverflow` takes. */
function wholeFrame(bytes: Uint8Array): EncodedBytes {
  return { bytes, offset: 0, length: bytes.length };
}
