/**
 * The scheduler actor: one per CPU, a real-time child of the `sched` supervisor, registered as
 * `kernel.scheduler` on its CPU. It answers the control messages of protocols/sched.ts and runs the
 * load balancer (OSv's `load_balance` thread): every `balancePeriodMs` while its CPU has at least
 * two runnable actors, it compares the loads every CPU publishes and, if another CPU's is at least
 * 2 lower, moves the least-deserving actor that can move there (CpuNode.migrate). An actor that
 * cannot move is skipped, and the reason shows in `sched.stats`; one whose state cannot be encoded
 * is pinned for good, as the issue asks.
 *
 * The balancer's timer is armed only while there is something to give away, so an idle kernel
 * has no periodic work (a simulated clock can still run until idle).
 */
import { MigrationRefusedError, UsageError } from '../../ground/errors.js';
import type { BehaviorFactory } from '../runtime/behavior.js';
import { type Cell, Status } from '../runtime/cell.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import { fromSystem, type SystemActorInstance, type SystemContext } from '../runtime/system-context.js';
import type { CpuStateView } from '../sched/cpu-state.js';
import { pidCpu, type Pid } from '../../ground/pid.js';
import type { SchedActorStats, SchedControl, SchedStatsReply } from '../../protocols/sched.js';
import { balanceTarget } from '../sched/balancer.js';
import { updateAfterSleep } from '../sched/decayed-runtime.js';
import { EntityState, SchedClass, type SchedEntity } from '../sched/entity.js';
import { FairDispatcher } from '../sched/fair-dispatcher.js';
import { SchedCell } from '../sched/sched-cell.js';
import { balancePeriodMs } from '../sched/limits.js';
import { compare } from '../sched/run-queue.js';

/** Registered name of each CPU's scheduler actor. */
export const schedulerName = 'kernel.scheduler';

/** The behaviour of a CPU's scheduler actor; `state` is the CPU's scheduler state, which `sched.stats` shows. */
export function schedulerBehavior(state: CpuStateView): BehaviorFactory<SchedControl> {
  return fromSystem((ctx) => new SchedulerActor(ctx, state), 'scheduler');
}

class SchedulerActor implements SystemActorInstance<SchedControl> {
  private readonly kernel: KernelCore;
  private readonly self: Cell;
  /** Actors the balancer tried and could not move, with why. */
  private readonly stays = new Map<Cell, string>();
  private balanceRounds = 0;
  private migrations = 0;
  private armed = false;

  constructor(
    ctx: SystemContext<SchedControl>,
    private readonly state: CpuStateView,
  ) {
    this.self = ctx.cell;
    this.kernel = ctx.kernel;
  }

  started(): void {
    this.armWhenLoaded();
  }

  stopped(): void {
    const dispatcher = this.fair();
    if (dispatcher !== null) dispatcher.onLoaded = null;
  }

  receive(message: SchedControl, ctx: SystemContext<SchedControl>): void {
    if (message.type === 'sched.balance-tick') {
      this.armed = false;
      this.balance();
      this.armWhenLoaded();
      return;
    }
    const reply = ctx.replyLater(message);
    try {
      switch (message.type) {
        case 'sched.set-priority':
          this.requireFair().setPriority(this.localCell(message.pid), message.priority);
          reply.resolve(true);
          return;
        case 'sched.pin':
        case 'sched.unpin': {
          const cell = this.localCell(message.pid);
          this.requireFair();
          // A pid whose actor moved away names a forwarding stand-in here, which has no scheduling.
          if (!(cell instanceof SchedCell)) throw new RangeError(`pid ${message.pid} lives on another cpu now: ask that cpu's scheduler`);
          cell.pinned = message.type === 'sched.pin';
          if (message.type === 'sched.unpin') this.stays.delete(cell);
          reply.resolve(true);
          return;
        }
        case 'sched.migrate': {
          const cell = this.localCell(message.pid);
          const { cpu } = message;
          // Answered once it has left, or with why it stays: a move may wait for the actor's earlier mail.
          const why = this.migrate(cell, cpu, true, (after) =>
            after === null ? reply.resolve(true) : reply.reject(new MigrationRefusedError(cell.describe(), cpu, after)),
          );
          if (why !== null) throw new MigrationRefusedError(cell.describe(), cpu, why);
          return;
        }
        case 'sched.stats':
          reply.resolve(this.stats());
          return;
      }
    } catch (error) {
      reply.reject(error);
    }
  }

  /** One balancer round (OSv `load_balance`). */
  private balance(): void {
    const dispatcher = this.fair();
    const node = this.kernel.node;
    if (dispatcher === null || node === null || dispatcher.loads === null) return;
    this.balanceRounds++;
    const cpu = this.kernel.cpu;
    const loads = Array.from(dispatcher.loads);
    // This actor runs now only to balance: it is not part of the load it could give away.
    loads[cpu] = dispatcher.scheduler.load - 1;
    const target = balanceTarget(cpu, loads);
    if (target >= 0) {
      // Least deserving first (OSv scans the run queue from its tail); skip what cannot move.
      const queued = dispatcher.scheduler.queued().reverse();
      for (const entity of queued) {
        if (entity.pinned || entity.schedClass === SchedClass.realtime) continue;
        const why = this.migrate(entity.owner, target, false);
        if (why === null) break;
      }
    }
  }

  /**
   * Moves `cell` to `cpu`, or returns why not (and remembers it for the stats). Null: the move is
   * under way, and `settled` is told how it ended. `waitsForRoom`: see CpuRouting.migrate.
   */
  private migrate(cell: Cell, cpu: number, waitsForRoom: boolean, settled?: (why: string | null) => void): string | null {
    const node = this.kernel.node;
    if (node === null) return 'this kernel runs one CPU';
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= node.cpus) throw new RangeError(`cpu ${cpu} does not exist: this kernel runs cpus 0..${node.cpus - 1}`);
    if (cpu === this.kernel.cpu) {
      settled?.(null);
      return null;
    }
    const why = node.migrate(
      cell,
      cpu,
      (after) => {
        if (after === null) {
          this.stays.delete(cell);
          this.migrations++;
        } else {
          this.stay(cell, after);
        }
        settled?.(after);
      },
      waitsForRoom,
    );
    if (why !== null) this.stay(cell, why);
    return why;
  }

  /** `cell` cannot move now, for `why`. */
  private stay(cell: Cell, why: string): void {
    this.stays.set(cell, why);
    // State that cannot be encoded will not encode next time either: pin it, with the reason shown.
    // (Under `fifo` cells cannot be pinned, and nothing balances them.)
    if (why.startsWith('its state') && cell instanceof SchedCell) cell.pinned = true;
  }

  private stats(): SchedStatsReply {
    const dispatcher = this.requireFair();
    const scheduler = dispatcher.scheduler;
    const entities = new Set<SchedEntity<SchedCell>>(scheduler.queued());
    if (scheduler.current !== null) entities.add(scheduler.current);
    for (const cell of this.stays.keys()) {
      // A stand-in left by a move, or a stopped actor, is no entity of this CPU any more.
      if (cell instanceof SchedCell && cell.status !== Status.Stopped) entities.add(cell);
      else this.stays.delete(cell);
    }
    const actors: SchedActorStats[] = [...entities].sort(compare).map((entity) => ({
      pid: entity.owner.pid,
      name: entity.owner.extras?.name,
      priority: entity.priority,
      class: entity.schedClass === SchedClass.realtime ? 'realtime' : entity.schedClass === SchedClass.idle ? 'idle' : 'fair',
      state: entity.state === EntityState.running ? 'running' : entity.state === EntityState.queued ? 'queued' : 'sleeping',
      runtime: runtimeOf(dispatcher, entity),
      pinned: entity.pinned,
      stays: this.stays.get(entity.owner),
    }));
    return {
      cpu: this.kernel.cpu,
      state: this.state.value,
      load: scheduler.load,
      runQueueLength: scheduler.queuedCount,
      switches: scheduler.stats.switches,
      preemptions: scheduler.stats.preemptions,
      renormalizations: scheduler.stats.renormalizations,
      migrations: this.migrations,
      balanceRounds: this.balanceRounds,
      wakeLatency: dispatcher.wakeLatency.snapshot(),
      actors,
    };
  }

  /** Arms the balance timer now if this CPU has two runnable actors besides this one, else on the wake that makes it so. */
  private armWhenLoaded(): void {
    const dispatcher = this.fair();
    if (dispatcher === null || this.kernel.node === null || this.armed) return;
    const arm = (): void => {
      if (this.armed || this.self.status >= Status.Stopping) return;
      this.armed = true;
      this.kernel.clock.setTimer(balancePeriodMs, () => this.self.ref.tell({ type: 'sched.balance-tick' }));
    };
    // Running now, this actor counts one of the load.
    if (dispatcher.scheduler.load - 1 >= 2) arm();
    else dispatcher.onLoaded = arm;
  }

  private fair(): FairDispatcher | null {
    const dispatcher = this.kernel.dispatcher;
    return dispatcher instanceof FairDispatcher ? dispatcher : null;
  }

  private requireFair(): FairDispatcher {
    const dispatcher = this.fair();
    if (dispatcher === null) throw new UsageError("this kernel runs the 'fifo' dispatcher, which has no priorities or stats: boot with { scheduler: 'fair' }");
    return dispatcher;
  }

  private localCell(pid: Pid): Cell {
    const kernel = this.kernel;
    if (pidCpu(pid) !== kernel.cpu) throw new RangeError(`pid ${pid} lives on cpu ${pidCpu(pid)}: ask that cpu's scheduler`);
    const cell = kernel.refOf(pid)?.cell;
    if (cell === undefined) throw new RangeError(`no actor with pid ${pid} on cpu ${kernel.cpu}`);
    return cell;
  }
}

/** R of `entity` now, without changing it (a sleeper may lag the CPU's renormalisations). */
function runtimeOf(dispatcher: FairDispatcher, entity: SchedEntity<SchedCell>): number {
  // The clock first: reading it applies the runner's owed credit to its runtime.
  const clock = dispatcher.scheduler.clock;
  const copy = { priority: entity.priority, runtime: entity.runtime, renormalizeCount: entity.renormalizeCount };
  updateAfterSleep(clock, copy);
  return copy.runtime / clock.c;
}
