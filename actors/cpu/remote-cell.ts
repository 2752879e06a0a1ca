/**
 * The stand-in of an actor that lives on another CPU. Its ref works like any other: `tell` encodes
 * the message into the ring to that CPU (see CpuNode.sendEnvelope), `ask` waits for a `kernel.reply`.
 *
 * A spawn on another CPU returns its ref at once, before that CPU has chosen the pid. Until the
 * answer comes, messages to the ref are held here in order (bounded by the spawn's mailbox capacity
 * and overflow policy, in a mailbox like any actor's) and sent when the pid is known, so a
 * spawn-then-tell needs no await.
 */
import { assert } from '../../ground/assert.js';
import { InvariantError } from '../../ground/errors.js';
import { fromReceive } from '../runtime/behavior.js';
import { Cell, Status } from '../runtime/cell.js';
import { endLinks, notifyWatchers } from '../runtime/lifecycle.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import { Mailbox } from '../runtime/mailbox.js';
import { formatPid, type Pid } from '../../ground/pid.js';
import type { ExitReason } from '../runtime/signals.js';
import type { SystemItem } from '../runtime/system-lane.js';
import type { SpawnOptions } from '../runtime/spawn-options.js';
import type { OutboxPolicy } from './outbox.js';

/** What a remote cell sends through; implemented by CpuNode. */
export interface RemoteSender {
  /** `overflow`: what a full ring does with it, by default the kernel's `crossCpuOverflow`. */
  sendEnvelope(cell: RemoteCell, message: unknown, origin: number, overflow?: OutboxPolicy): boolean;
  /** Asks the actor's CPU to report its stop: local actors of this CPU monitor `cell`. */
  requestMonitor(cell: RemoteCell): void;
  /** Asks the actor's CPU to link it with local actor `local` (already linked here). */
  requestLink(local: Cell, cell: RemoteCell): void;
  /** Tells the actor's CPU that `from`, a local actor linked to `cell`, exited. */
  sendExit(cell: RemoteCell, from: Cell, reason: ExitReason): void;
}

const remoteBehavior = fromReceive(() => {
  throw new InvariantError('a remote cell never runs a behaviour');
}, 'remote');

export class RemoteCell extends Cell {
  /** Messages sent before the spawn was answered, bounded like the actor's own mailbox. */
  private heldUntilSpawned: Mailbox | null = null;
  private spawnWaiters: { resolve: () => void; reject: (error: Error) => void }[] | null = null;
  /** Those waiting for the actor to be gone (`whenStopped`). */
  private stopWaiters: (() => void)[] | null = null;
  private spawnError: Error | null = null;
  /**
   * The stand-in of an actor moving to its CPU: the pid it had on this CPU, which its new CPU
   * knows from the move, so mail goes out at once, right behind the move, instead of waiting for
   * the new pid (0: none; see forwarding.ts).
   */
  alias: Pid = 0;

  constructor(
    kernel: KernelCore,
    private readonly sender: RemoteSender,
    pid: Pid,
    /** The CPU the actor lives on. */
    readonly cpu: number,
    /** What it is, for errors and traces: the behaviour's export name, or 'remote'. */
    readonly label: string,
    options: SpawnOptions | undefined,
  ) {
    super(kernel, pid, remoteBehavior, options, null);
    this.status = Status.Running;
  }

  override isRemote(): boolean {
    return true;
  }

  override describe(): string {
    const name = this.extras?.name;
    const where = this.pid === 0 ? `<${this.cpu}.spawning>` : formatPid(this.pid);
    return name !== undefined ? `'${name}' ${where}` : `${this.label} ${where}`;
  }

  override deliver(message: unknown, origin: number): boolean {
    return this.send(message, origin, undefined);
  }

  /**
   * Sends a message that was accepted already (mail forwarded for another CPU's sender, or held
   * here until the spawn was answered): its sender's policy was met when it was sent, so it waits
   * for room in the ring whatever this kernel's policy, with no deadline, within the room outbox.ts
   * gives accepted mail.
   */
  deliverAccepted(message: unknown, origin: number): boolean {
    return this.send(message, origin, 'accepted');
  }

  private send(message: unknown, origin: number, overflow: OutboxPolicy | undefined): boolean {
    if (this.status >= Status.Stopping) {
      this.kernel.deadLetter(message, origin, this, 'stopped');
      return false;
    }
    if (this.pid === 0 && this.alias === 0) return this.hold(message, origin);
    return this.sender.sendEnvelope(this, message, origin, overflow);
  }

  /** The pid its CPU knows the actor by: its own, or while it moves there, its `alias`. */
  get address(): Pid {
    return this.pid !== 0 ? this.pid : this.alias;
  }

  /** Resolves once the actor exists on its CPU; rejects if the spawn failed there. */
  override whenSpawned(): Promise<void> {
    if (this.pid !== 0) return Promise.resolve();
    if (this.spawnError !== null) return Promise.reject(this.spawnError);
    return new Promise((resolve, reject) => (this.spawnWaiters ??= []).push({ resolve, reject }));
  }

  /** The target CPU answered with the pid: send what was held, in order. */
  spawnedAs(pid: Pid): void {
    assert(this.pid === 0 && pid !== 0, 'a remote cell learns its pid once');
    (this as unknown as { pid: Pid }).pid = pid;
    const held = this.heldUntilSpawned;
    this.heldUntilSpawned = null;
    const kernel = this.kernel;
    const outer = kernel.currentCause;
    try {
      while (held !== null && held.count > 0) {
        const message = held.shift();
        // A held message goes on as caused by its `send` into the hold (0 when untraced).
        kernel.currentCause = held.shiftedCause;
        this.deliverAccepted(message, held.shiftedOrigin);
      }
    } finally {
      kernel.currentCause = outer;
    }
    for (const waiter of this.spawnWaiters ?? []) waiter.resolve();
    this.spawnWaiters = null;
    // Monitored or linked before its CPU answered: the requests could only go out now.
    if ((this.extras?.watchers?.size ?? 0) > 0) this.sender.requestMonitor(this);
    for (const linked of this.extras?.links ?? []) this.sender.requestLink(linked, this);
  }

  /** A local actor linked to this one exited: the lifecycle tells links through their system lane. */
  override pushSystem(item: SystemItem): void {
    if (item.kind === 'exit' && item.linked && item.from !== null && this.status !== Status.Stopped && this.pid !== 0)
      this.sender.sendExit(this, item.from, item.reason);
  }

  /** Its CPU died: each local actor linked to it gets an exit, reason `killed`, and the links end. */
  exitLinks(reason: ExitReason): void {
    endLinks(this, reason, undefined, true);
  }

  /** Its CPU died and is restarting: hold messages again until the new incarnation has a pid. */
  respawning(): void {
    if (this.status === Status.Stopped) return;
    // The incarnation its watchers monitored is gone; the next one is a new actor behind this ref.
    this.notifyDown('killed');
    (this as unknown as { pid: Pid }).pid = 0;
    // The restarted CPU knows nothing of the move that gave the alias.
    this.alias = 0;
  }

  /** Gives each local watcher a `down` signal for this actor, as a local actor's stop would. */
  notifyDown(reason: ExitReason): void {
    notifyWatchers(this, reason, undefined);
  }

  /** The spawn failed on the target CPU (or the CPU went down first): everything held is dead. */
  spawnFailed(error: Error): void {
    this.spawnError = error;
    this.markStopped('noproc');
    for (const waiter of this.spawnWaiters ?? []) waiter.reject(error);
    this.spawnWaiters = null;
  }

  /** Resolves once the actor is known to be gone (`markStopped`). */
  whenStopped(): Promise<void> {
    if (this.status === Status.Stopped) return Promise.resolve();
    return new Promise((resolve) => (this.stopWaiters ??= []).push(resolve));
  }

  /** The actor is known to be gone (it stopped, or its CPU died): later sends are dead letters. */
  markStopped(reason: ExitReason = 'noproc'): void {
    if (this.status === Status.Stopped) return;
    this.status = Status.Stopped;
    for (const resolve of this.stopWaiters ?? []) resolve();
    this.stopWaiters = null;
    this.notifyDown(reason);
    // Its exit reached linked actors as `kernel.exit` before this notice; only the entries are left.
    for (const linked of this.extras?.links ?? []) linked.extras?.links?.delete(this);
    if (this.extras != null) this.extras.links = null;
    const name = this.extras?.name;
    if (name !== undefined && this.kernel.registry.get(name) === this) this.kernel.registry.delete(name);
    const held = this.heldUntilSpawned;
    this.heldUntilSpawned = null;
    while (held !== null && held.count > 0) this.kernel.deadLetter(held.shift(), held.shiftedOrigin, this, 'stopped');
  }

  private hold(message: unknown, origin: number): boolean {
    const kernel = this.kernel;
    const held = (this.heldUntilSpawned ??= new Mailbox(this.options?.mailboxCapacity ?? kernel.mailboxCapacity));
    const cause = kernel.tracing.active ? kernel.traceSend(origin, 0, message) : 0;
    return held.offer(message, origin, cause) || this.overflow(held, message, origin, cause);
  }
}
