/**
 * A CPU's routing core: what its kernel does with the interconnect. It turns tells and asks to
 * actors of other CPUs into mail frames (refs in bodies included, see wire-refs.ts), delivers the
 * mail frames other CPUs send, answers forwarded asks, and hands every other frame to the handler
 * its type registered (frame-registry.ts). The concerns live in files of their own, each with its
 * frames: placements, migrations, monitors, links, names and status across CPUs, and the reports
 * other CPUs send CPU 0 (failures, dead letters, events); backpressure is
 * the outbox's (outbox.ts). Subsystems add their frame types at boot.
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import { CpuDownError } from '../../ground/errors.js';
import { cpuBit, type Pid } from '../../ground/pid.js';
import type { EncodedBytes } from '../../protocols/codec.js';
import {
  KERNEL_ENVELOPE,
  KERNEL_REPLY,
  kernelEnvelope,
  kernelReply,
  kernelStructures,
  type KernelEnvelope,
  type KernelReply,
} from '../../protocols/runtime.js';
import type { AnyMessage } from '../../protocols/schema.js';
import type { AnyBehavior } from '../runtime/behavior.js';
import { type Cell, Hold, Status } from '../runtime/cell.js';
import type { CpuRouting } from '../runtime/cpu-routing.js';
import type { MachineGraph } from '../runtime/machine-graph.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import type { ActorRef } from '../runtime/ref.js';
import type { ExitReason } from '../runtime/signals.js';
import type { SpawnOptions } from '../runtime/spawn-options.js';
import type { KernelStatus } from '../runtime/status.js';
import type { BehaviorCatalog } from './catalog.js';
import { CpuReports } from './cpu-reports.js';
import { CpuQueries } from './cpu-queries.js';
import { ForwardHold } from './forward-hold.js';
import { Forwarding } from './forwarding.js';
import { FrameRegistry, type FrameRouting, type FrameType } from './frame-registry.js';
import type { InterconnectMemory } from './interconnect.js';
import { outboxBytesMaxDefault, outboxWaitMsDefault } from './limits.js';
import { Migrations } from './migrations.js';
import { type CrossCpuOverflow, type OutboxPolicy, Outboxes, wholeFrame } from './outbox.js';
import { Placements } from './placements.js';
import { CpuPort } from './port.js';
import { RemoteCell, type RemoteSender } from './remote-cell.js';
import { RemoteLinks } from './remote-links.js';
import { RemoteMonitors } from './remote-monitors.js';
import { RemoteNames } from './remote-names.js';
import { RemoteRefs } from './remote-refs.js';
import { envelopeDeadlineMsMax, type TimedEnvelope, type TracedEnvelope } from './mail-frames.js';
import { fromWireError, toWireError } from './wire-error.js';
import { resolveWireRefs } from './wire-refs.js';

export type { CrossCpuOverflow };

/** How a kernel joins an interconnect. */
export interface CpuNodeOptions {
  readonly cpu: number;
  readonly memory: InterconnectMemory;
  readonly catalog: BehaviorCatalog;
  /** What a full ring does with a message (default `wait`, see outbox.ts). */
  readonly overflow?: CrossCpuOverflow;
  /** How long a message may wait for ring space under `wait` (default 5000 ms). */
  readonly outboxWaitMs?: number;
  /** Bytes each outbox may hold under `wait` (default 16 MiB, see outbox.ts). */
  readonly outboxBytesMax?: number;
  /** The frame types of the subsystems, in boot order (the same on every CPU). */
  readonly frames?: readonly FrameType[];
}

export class CpuNode implements CpuRouting, FrameRouting, RemoteSender {
  readonly cpu: number;
  readonly cpus: number;
  readonly port: CpuPort;
  readonly catalog: BehaviorCatalog;
  readonly refs: RemoteRefs;
  readonly outbox: Outboxes;
  readonly placements: Placements;
  readonly monitors: RemoteMonitors;
  readonly forwarding: Forwarding;
  private readonly migrations: Migrations;
  private readonly links: RemoteLinks;
  private readonly names: RemoteNames;
  private readonly queries: CpuQueries;
  private readonly reports: CpuReports;
  /** The frame types this CPU knows (the runtime's, then its subsystems'). */
  readonly frames: FrameRegistry;
  /** The CPUs that are down, with why (as the host said). */
  private readonly down = new Map<number, string>();
  /** Subsystems' listeners to CPUs going down (`onCpuDown`). */
  private readonly downListeners = new Set<(cpu: number) => void>();
  /**
   * The envelope `admits` let in last and the route it found: the port delivers that very envelope
   * next, and looking the route up once saves a slot-table lookup per message.
   */
  private admittedEnvelope: KernelEnvelope | null = null;
  private admittedRoute: Cell | undefined = undefined;
  private readonly overflow: CrossCpuOverflow;

  constructor(
    readonly kernel: KernelCore,
    options: CpuNodeOptions,
  ) {
    this.cpu = options.cpu;
    this.cpus = options.memory.cpus;
    this.catalog = options.catalog;
    this.refs = new RemoteRefs(this);
    this.placements = new Placements(this);
    this.forwarding = new Forwarding(this);
    this.migrations = new Migrations(this);
    this.monitors = new RemoteMonitors(this);
    this.links = new RemoteLinks(this);
    this.names = new RemoteNames(this);
    this.queries = new CpuQueries(this);
    this.reports = new CpuReports(this);
    // Mail frames and structure syncs are the port's and this core's own; every other frame has its handler.
    this.frames = new FrameRegistry([kernelEnvelope, kernelReply, kernelStructures]);
    this.frames.register(
      ...this.placements.frames,
      ...this.migrations.frames,
      ...this.forwarding.frames,
      ...this.monitors.frames,
      ...this.links.frames,
      ...this.names.frames,
      ...this.queries.frames,
      ...this.reports.frames,
      ...(options.frames ?? []),
    );
    const refFor = (pid: Pid): ActorRef<never> => this.refs.refFor(pid);
    this.port = new CpuPort(this.cpu, options.memory, {
      deliver: (source, message) => this.handle(source, message),
      admits: (message) => this.admits(message),
      resolveRefs: (body) => resolveWireRefs(body, refFor),
      schemas: this.frames.schemas(),
      soon: (callback) => kernel.clock.soon(callback),
    });
    this.overflow = options.overflow ?? 'wait';
    this.outbox = new Outboxes(kernel, this.port, this.overflow, options.outboxWaitMs ?? outboxWaitMsDefault, options.outboxBytesMax ?? outboxBytesMaxDefault);
  }

  // ---- CpuRouting: what the runtime core asks ------------------------------------------------

  placement(where: number | 'auto'): number {
    return this.placements.placement(where);
  }

  spawnOn(cpu: number, behavior: AnyBehavior, options: SpawnOptions | undefined): Cell {
    return this.placements.spawnOn(cpu, behavior, options);
  }

  remoteCell(pid: Pid): Cell {
    return this.refs.remoteCell(pid);
  }

  movedRef(pid: Pid): ActorRef<never> | undefined {
    return this.forwarding.refOf(pid) as ActorRef<never> | undefined;
  }

  lookupName(name: string): ActorRef<never> | undefined {
    return this.names.lookup(name);
  }

  stopRemote(cell: Cell): Promise<void> {
    return this.placements.stopRemote(asRemote(cell));
  }

  exitRemote(cell: Cell, from: Cell | null, reason: ExitReason): void {
    const remote = asRemote(cell);
    // Its CPU has not answered the spawn yet: the signal goes once the pid is known, as a tell would.
    if (remote.pid === 0) {
      remote.whenSpawned().then(
        () => this.exitRemote(remote, from, reason),
        () => {},
      );
      return;
    }
    this.links.sendExit(remote, from, reason, false);
  }

  statusOf(cpu: number, deadlineMs?: number): Promise<KernelStatus> {
    return this.queries.statusOf(cpu, deadlineMs);
  }

  machineGraphOf(cpu: number, pid: Pid, deadlineMs?: number): Promise<MachineGraph | undefined> {
    return this.queries.machineGraphOf(cpu, pid, deadlineMs);
  }

  localStopped(cell: Cell, reason: ExitReason): void {
    this.placements.localStopped(cell, reason);
    this.forwarding.stopped(cell);
  }

  nameChanged(name: string, pid: Pid, registered: boolean): void {
    this.names.nameChanged(name, pid, registered);
  }

  requestMonitor(cell: Cell): void {
    assert(cell.pid !== 0, 'a monitor request needs the pid the far CPU chose');
    this.monitors.requestMonitor(asRemote(cell));
  }

  requestLink(local: Cell, cell: Cell): void {
    this.links.requestLink(local, asRemote(cell));
  }

  requestUnlink(local: Cell, cell: Cell): void {
    this.links.requestUnlink(local, asRemote(cell));
  }

  migrate(cell: Cell, cpu: number, settled: (why: string | null) => void, waitsForRoom: boolean): string | null {
    if (!(cpu !== this.cpu && cpu >= 0 && cpu < this.cpus)) invariantBroken(`cpu ${cpu} is not another cpu of 0..${this.cpus - 1}`);
    return this.migrations.migrate(cell, cpu, settled, waitsForRoom);
  }

  // ---- RemoteSender: what stand-ins send -----------------------------------------------------

  /** One envelope, encoded once, into the ring to the actor's CPU. */
  sendEnvelope(cell: RemoteCell, message: unknown, origin: number, overflow: OutboxPolicy = this.overflow): boolean {
    const kernel = this.kernel;
    const cpu = cell.cpu;
    // Its death is counted in shared memory before the host's message says so (see InterconnectMemory.deaths).
    if (this.down.has(cpu) || this.port.peerDown(cpu)) {
      if (origin < 0) kernel.asks.reject(-origin, new CpuDownError(cpu, cell.describe(), this.whyDown(cpu)));
      else kernel.deadLetter(message, origin, cell, 'stopped');
      return false;
    }
    // Traced, the envelope carries its `send` event's id: the far CPU's events name it as their cause.
    const cause = kernel.tracing.active ? kernel.traceSend(origin, cell.pid, message) : 0;
    const from = origin < 0 ? kernel.currentPid : origin;
    // An ask tells the far CPU how long its asker waits, so the answer is awaited as long there.
    // An ask whose deadline passed while it was held still goes, so its far side ends at once.
    const deadlineMs = origin < 0 ? Math.min(Math.max(1, kernel.asks.remainingMs(-origin)), envelopeDeadlineMsMax) : 0;
    const frame = this.port.encodeEnvelope(cpu, cell.address, from, origin < 0 ? -origin : 0, message, cause, deadlineMs);
    // Its own mail, sent in its turn: it moves only once that has arrived (move-sweeps.ts).
    const current = kernel.current;
    if (current !== null && current.pid === from) current.sentCpus |= cpuBit(cpu);
    return this.outbox.offer(cpu, frame, message, origin, cell, overflow);
  }

  sendExit(cell: RemoteCell, from: Cell, reason: ExitReason): void {
    this.links.sendExit(cell, from, reason, true);
  }

  // ---- FrameRouting: what frame handlers use -------------------------------------------------

  localCell(pid: Pid): Cell | undefined {
    return this.kernel.cellOf(pid) ?? this.forwarding.controlRoute(pid);
  }

  /**
   * The local actor a control frame (a link, an unlink, an exit signal, a stop) for `message.to` is
   * for; for an actor that moved on, the frame is passed along its route and this is null, as a
   * monitor's is. Undefined: nothing here answers to that pid.
   */
  controlTarget<M extends AnyMessage & { readonly to: Pid }>(message: M): Cell | null | undefined {
    const cell = this.localCell(message.to);
    if (!(cell instanceof RemoteCell)) return cell;
    if (cell.status >= Status.Stopping || cell.address === 0) return undefined;
    this.send(cell.cpu, { ...message, to: cell.address });
    return null;
  }

  send<M extends AnyMessage>(cpu: number, message: M): void {
    if (this.down.has(cpu)) return;
    // The kernel's own frames are not its code's to refuse: they wait whatever the policy.
    this.outbox.offer(cpu, wholeFrame(this.port.encode(cpu, message)), message, 0, null, 'must-arrive');
  }

  request(target: Cell, build: (askId: number) => AnyMessage, deadlineMs?: number): Promise<unknown> {
    const cell = asRemote(target);
    if (cell.pid === 0) return cell.whenSpawned().then(() => this.request(cell, build, deadlineMs));
    const kernel = this.kernel;
    return new Promise((resolve, reject) => {
      const askId = kernel.asks.forward(0, cell, (ok, value) => (ok ? resolve(value) : reject(value)), deadlineMs);
      const cpu = cell.cpu;
      if (this.down.has(cpu)) {
        kernel.asks.reject(askId, new CpuDownError(cpu, cell.describe(), this.whyDown(cpu)));
        return;
      }
      const message = build(askId);
      let frame: Uint8Array;
      try {
        frame = this.port.encode(cpu, message);
      } catch (error) {
        kernel.asks.reject(askId, error);
        return;
      }
      this.outbox.offer(cpu, wholeFrame(frame), message, -askId, cell);
    });
  }

  answer(source: number, askId: number, ok: boolean, value: unknown): void {
    this.reply(source, askId, 0, ok, value);
  }

  /**
   * Answers ask `askId` of CPU `source` (asked by its actor `to`, 0 for the CPU) with a reply frame.
   * A reply that waits for room counts against `replier`, the actor asked, as what it sends does
   * (it is parked, outbox.ts), even when it answers outside its turns (`replyLater`).
   */
  reply(source: number, askId: number, to: Pid, ok: boolean, value: unknown, replier: Pid = 0): void {
    if (this.down.has(source)) return; // the asker's CPU died; its asks died with it
    let frame: EncodedBytes;
    try {
      frame = this.port.encodeReply(source, askId, to, ok, ok ? value : toWireError(value));
    } catch (error) {
      // A reply that cannot travel (a function, a class instance) fails the ask instead of hanging it.
      frame = this.port.encodeReply(source, askId, to, false, toWireError(error));
    }
    this.outbox.offer(source, frame, value, replier, null, 'must-arrive');
  }

  // ---- receiving -----------------------------------------------------------------------------

  /** Takes what other CPUs sent and routes it. Returns the frames handled. */
  pump(): number {
    return this.port.pump();
  }

  /** Moves frames waiting in outboxes, and reports held for CPU 0, into rings that have room again. */
  flushOutboxes(): void {
    this.outbox.flush();
    this.reports.flush();
    this.forwarding.flush();
    this.port.publish();
  }

  /** Frames waiting in outboxes, reports held for CPU 0 (see cpu-reports.ts) and mail held by forwarding. */
  get waitingFrames(): number {
    return this.outbox.waiting + this.reports.waiting + this.forwarding.waiting;
  }

  /** Whether `message` can be handled now (see `canTakeNow`); refused, it waits first in its ring. */
  private admits(message: AnyMessage): boolean {
    if (message.type !== KERNEL_ENVELOPE) return true;
    const cell = this.forwarding.mailRoute((message as KernelEnvelope).to);
    this.admittedEnvelope = message as KernelEnvelope;
    this.admittedRoute = cell;
    return cell === undefined || this.canTakeNow(cell);
  }

  /**
   * Whether `cell` can take a message from another CPU now. A message for an actor whose mailbox is
   * full waits (backpressure on its sender) while that actor is working its mailbox down. An actor
   * that cannot (it awaits an async handler, or is not running) gets it now and its mailbox's
   * overflow policy applies, so one stalled actor cannot hold up everything else its CPU is sent. A
   * parked actor is let run (outbox.ts): parked, it would wait for a CPU that may be waiting for it.
   */
  canTakeNow(cell: Cell): boolean {
    // Most mail is for a running local actor whose mailbox has room. Only an actor's incarnation has
    // a `receive` (never a stand-in or a hold), so this test spares them the class tests below.
    const mailbox = cell.mailbox;
    if (cell.receive !== null && (mailbox === null || !mailbox.isFull)) return true;
    if (cell instanceof ForwardHold) return cell.canTakeNow();
    // Forwarded on to another CPU: it waits in its ring while the outbox there is full enough (outbox.ts).
    if (cell instanceof RemoteCell) return cell.status >= Status.Stopping || this.isDown(cell.cpu) || this.outbox.takesForwarded(cell.cpu);
    if (cell.mailbox === null || !cell.mailbox.isFull) return true;
    if (cell.status !== Status.Running || (cell.held & Hold.Awaiting) !== 0) return true;
    if ((cell.held & Hold.Parked) !== 0) this.outbox.unpark(cell);
    if ((cell.held & Hold.Switching) !== 0) this.kernel.dispatcher.lift(cell, Hold.Switching);
    return false;
  }

  private handle(source: number, message: AnyMessage): void {
    if (message.type === KERNEL_ENVELOPE) this.deliverEnvelope(source, message as KernelEnvelope);
    else if (message.type === KERNEL_REPLY) this.settleReply(message as KernelReply);
    else this.frames.handle(message, source, this);
  }

  /**
   * Delivers an envelope. While this CPU traces, its `send` event here is caused by the sender's
   * `send` on its CPU when the sender traced too (a traced envelope), else by nothing: whatever this
   * CPU was doing while it took the frame in did not cause it.
   */
  private deliverEnvelope(source: number, message: KernelEnvelope): void {
    const kernel = this.kernel;
    if (!kernel.tracing.active) {
      this.deliverToActor(source, message);
      return;
    }
    const outer = kernel.currentCause;
    kernel.currentCause = (message as Partial<TracedEnvelope>).cause ?? 0;
    try {
      this.deliverToActor(source, message);
    } finally {
      kernel.currentCause = outer;
    }
  }

  private deliverToActor(source: number, message: KernelEnvelope): void {
    const route = message === this.admittedEnvelope ? this.admittedRoute : this.forwarding.mailRoute(message.to);
    this.admittedEnvelope = null;
    this.admittedRoute = undefined;
    // Nothing here answers to its address (the actor stopped): a dead letter that names it.
    const cell = route ?? this.refs.stoppedStandIn(message.to);
    if (message.askId === 0) {
      this.deliverHere(cell, message.body, message.from);
      return;
    }
    const { askId, from } = message;
    const deadlineMs = (message as Partial<TimedEnvelope>).deadlineMs;
    const id = this.kernel.asks.forward(from, cell, (ok, value) => this.reply(source, askId, from, ok, value, cell.pid), deadlineMs);
    this.deliverHere(cell, message.body, -id);
  }

  /**
   * Hands mail that came from another CPU to `cell`: the actor, a stand-in forwarding it, or a hold.
   * A refusal cannot go back to the sender, whose tell returned true when the frame left its CPU,
   * so what is refused here is a dead letter here.
   */
  deliverHere(cell: Cell, body: unknown, origin: number): void {
    // Forwarded on, it waits for room whatever this CPU's policy (RemoteCell.deliverAccepted). A
    // refused ask has failed already, and its asker hears of it through the reply; a stand-in that
    // refuses (stopped, its CPU down, past its outbox's bound) made it a dead letter itself.
    if ((cell instanceof RemoteCell ? cell.deliverAccepted(body, origin) : cell.deliver(body, origin)) || origin < 0) return;
    if (sendersKeepRefused(cell) || cell instanceof ForwardHold) this.kernel.deadLetter(body, origin, cell, 'mailbox-full');
  }

  private settleReply(message: KernelReply): void {
    if (message.ok) this.kernel.asks.resolve(message.askId, message.body);
    else this.kernel.asks.reject(message.askId, fromWireError(message.body));
  }

  // ---- CPUs going down and coming back ------------------------------------------------------

  /**
   * CPU `cpu` died: asks waiting on its actors fail with CpuDownError, refs to actors it merely
   * hosted go dead, and actors this CPU placed there wait (holding messages) for its restart.
   */
  cpuDown(cpu: number, why: string): void {
    if (this.down.has(cpu)) return;
    this.down.set(cpu, why);
    this.kernel.asks.rejectWhere(
      (to) => to instanceof RemoteCell && to.cpu === cpu,
      (to) => new CpuDownError(cpu, to.describe(), why),
    );
    // What it never took from its ring died with it: each tell is a dead letter (its asks failed just now).
    for (const message of this.port.unsentTo(cpu)) {
      if (message.type !== KERNEL_ENVELOPE || (message as KernelEnvelope).askId !== 0) continue;
      const envelope = message as KernelEnvelope;
      this.kernel.deadLetter(envelope.body, envelope.from, this.refs.known(envelope.to) ?? null, 'stopped');
    }
    this.refs.cpuDown(cpu, (cell) => this.placements.has(cell));
    this.queries.cpuDown(cpu, why);
    this.names.cpuDown(cpu);
    this.monitors.cpuDown(cpu);
    this.placements.cpuDown(cpu);
    this.outbox.cpuDown(cpu);
    this.forwarding.cpuDown(cpu);
    this.migrations.cpuDown(cpu);
    for (const listener of [...this.downListeners]) listener(cpu);
  }

  onCpuDown(listener: (cpu: number) => void): () => void {
    this.downListeners.add(listener);
    return () => this.downListeners.delete(listener);
  }

  /** CPU `cpu` is back on fresh rings: map them, tell it our names, and respawn what this CPU had placed there. */
  cpuUp(cpu: number): void {
    this.port.attachPeer(cpu);
    this.down.delete(cpu);
    this.names.cpuUp(cpu);
    this.placements.cpuUp(cpu);
    this.reports.cpuUp(cpu);
  }

  /**
   * CPU `cpu` died for good (a simulated crash with no restart): what this CPU placed there will
   * not come back, so it fails now rather than hold its mail for ever. Call it after `cpuDown`.
   */
  cpuGone(cpu: number, why: string): void {
    this.placements.cpuGone(cpu, why);
  }

  isDown(cpu: number): boolean {
    return this.down.has(cpu);
  }

  /** Why CPU `cpu` is down; a death counted in shared memory that the host has not told yet is a worker's. */
  private whyDown(cpu: number): string {
    return this.down.get(cpu) ?? 'its worker is restarting';
  }
}

/**
 * Whether `cell` refused a message by leaving it to its sender (`reject`), rather than making it a
 * dead letter itself (`drop-newest`, or the actor stopped): what `deliver` returning false means.
 */
function sendersKeepRefused(cell: Cell): boolean {
  return !cell.isRemote() && cell.status < Status.Stopping && (cell.options?.overflow ?? 'reject') === 'reject';
}

/** `cell` as the stand-in this routing made it, or the route it stands for (see Cell.controlCell). */
function asRemote(cell: Cell): RemoteCell {
  const control = cell.controlCell;
  if (!(control instanceof RemoteCell)) invariantBroken(`${cell.describe()} is not a stand-in of an actor of another CPU`);
  return control;
}
