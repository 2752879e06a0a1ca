/**
 * The reclaimer (OSv's reclaimer thread) and the shrinker API. Caches register as shrinkers: actors
 * that answer `vm.shrink` with the bytes they gave back. When free memory falls below the low
 * watermark (10 % by default), the allocator on whichever CPU noticed wakes this actor, once, and it
 * asks every shrinker for the deficit, soft first, then hard. An allocation that cannot be served
 * waits here (`vm.wait-for-memory`) until enough is free or its deadline passes, and then fails
 * with OutOfMemoryError. It steps the pressure machine (pressure-machine.ts) as it goes.
 *
 * @example
 * ```ts
 * // A cache that gives memory back:
 * const Cache = fromReceive<CacheMsg>((message, ctx) => {
 *   if (message.type === 'vm.shrink') ctx.reply(message, evictLeastRecentlyUsed(message.bytes));
 * });
 * await kernel.subsystem(virtualMemory).registerShrinker('cache', cacheRef);
 * ```
 */
import type { AnyMachineSnapshot } from 'xstate';
import type { Ask } from '../../ground/message.js';
import type { ActorRef } from '../runtime/ref.js';
import type { BehaviorFactory } from '../runtime/behavior.js';
import type { ReplyHandle } from '../runtime/context.js';
import { xstate } from '../runtime/lazy-packages.js';
import { fromSystem, type SystemContext } from '../runtime/system-context.js';
import { OutOfMemoryError, VmArgumentError } from './errors.js';
import { pageBytes, shrinkersCountMax, watermarkLowShare } from './limits.js';
import { pressureFlagWord } from './physical-memory.js';
import { type PressureEvent, type PressureState, pressureMachine, pressureMachineId } from './pressure-machine.js';
import type { VmCpu } from './vm-cpu.js';

/** Its registered name: every CPU's allocator finds it. */
export const reclaimerName = 'vm.reclaimer';
/** How long one shrinker may take to answer, in ms: one that does not is counted as giving nothing. */
export const shrinkDeadlineMs = 1_000;
/** How often waiting allocations look again while frames come back from other CPUs, in ms. */
export const waitRecheckMs = 10;

/** What a shrinker answers: the bytes it freed (unmapped) for this request. */
export type ShrinkRequest = Ask<{ readonly type: 'vm.shrink'; readonly bytes: number; readonly hard: boolean }, number>;

/** A shrinker's figures. */
export interface ShrinkerStats {
  readonly name: string;
  readonly calls: number;
  readonly bytesReturned: number;
}

export type ReclaimerMsg =
  | { readonly type: 'vm.pressure' }
  | Ask<{ readonly type: 'vm.register-shrinker'; readonly name: string; readonly shrinker: ActorRef<ShrinkRequest> }, true>
  | Ask<{ readonly type: 'vm.unregister-shrinker'; readonly shrinker: ActorRef<ShrinkRequest> }, boolean>
  | Ask<{ readonly type: 'vm.wait-for-memory'; readonly bytes: number; readonly deadlineMs: number }, number>
  | { readonly type: 'vm.recheck' };

interface Waiter {
  readonly bytes: number;
  readonly deadlineAt: number;
  readonly handle: ReplyHandle<number>;
}

/** The reclaimer's state, kept by the VM (not by the actor), so its status survives restarts. */
export class Reclaim {
  state: PressureState = 'normal';
  readonly shrinkers = new Map<number, { ref: ActorRef<ShrinkRequest>; name: string; calls: number; bytesReturned: number }>();
  rounds = 0;

  stats(): { state: PressureState; rounds: number; shrinkers: ShrinkerStats[] } {
    return {
      state: this.state,
      rounds: this.rounds,
      shrinkers: [...this.shrinkers.values()].map(({ name, calls, bytesReturned }) => ({ name, calls, bytesReturned })),
    };
  }
}

export function reclaimerActor(vm: VmCpu, reclaim: Reclaim): BehaviorFactory<ReclaimerMsg> {
  const memory = vm.memory;
  const watermarkBytes = Math.ceil(memory.physical.framesCount * watermarkLowShare) * pageBytes;
  let snapshot: AnyMachineSnapshot | null = null;
  const step = (ctx: SystemContext<ReclaimerMsg>, event: PressureEvent): void => {
    const machine = pressureMachine();
    const from = reclaim.state;
    snapshot ??= machine.resolveState({ value: from });
    [snapshot] = xstate().transition(machine, snapshot as never, event);
    reclaim.state = snapshot.value as PressureState;
    // Traced as a machine actor's steps are, so that coverage under faults sees the kernel's machine too.
    if (ctx.kernel.tracing.active && reclaim.state !== from)
      ctx.kernel.trace({ kind: 'transition', pid: ctx.pid, machine: pressureMachineId, from, to: reclaim.state, event: event.type });
  };
  const freeBytes = () => memory.freeFrames() * pageBytes;
  // Frames retired by a shrinker's unmap come back once the other CPUs acknowledge: soon.
  const comingBytes = () => freeBytes() + (vm.mapper?.retiredFrames ?? 0) * pageBytes;

  return fromSystem<ReclaimerMsg>((ctx) => {
    const waiters: Waiter[] = [];
    const wanted = () => watermarkBytes + waiters.reduce((sum, waiter) => sum + waiter.bytes, 0);

    /** Answers the waiters that fit now, in order, and fails those past their deadline. */
    const settleWaiters = (): void => {
      const now = ctx.now();
      for (let i = 0; i < waiters.length; ) {
        const waiter = waiters[i]!;
        if (waiter.bytes <= freeBytes()) {
          waiters.splice(i, 1);
          waiter.handle.resolve(freeBytes());
        } else if (now >= waiter.deadlineAt) {
          waiters.splice(i, 1);
          waiter.handle.reject(new OutOfMemoryError(waiter.bytes, freeBytes()));
          if (reclaim.state === 'pressure' || reclaim.state === 'reclaiming') step(ctx, { type: 'vm.allocation-failed' });
        } else {
          i++;
        }
      }
      if (waiters.length > 0) ctx.startTimer('recheck', waitRecheckMs, { type: 'vm.recheck' });
      else ctx.cancelTimer('recheck');
    };

    /** One round: the deficit from each shrinker, soft then hard, until there is enough. */
    const reclaimRound = async (): Promise<void> => {
      Atomics.store(memory.physical.words, pressureFlagWord, 0);
      if (comingBytes() >= wanted()) {
        if (reclaim.state !== 'normal' && reclaim.state !== 'reclaiming') step(ctx, { type: 'vm.memory-ok' });
        return;
      }
      if (reclaim.state === 'normal') step(ctx, { type: 'vm.memory-low' });
      step(ctx, { type: 'vm.reclaim-started' });
      reclaim.rounds++;
      for (const hard of [false, true]) {
        for (const shrinker of [...reclaim.shrinkers.values()]) {
          const deficit = wanted() - comingBytes();
          if (deficit <= 0) break;
          shrinker.calls++;
          const freed = await shrinker.ref.ask({ type: 'vm.shrink', bytes: deficit, hard }, { deadlineMs: shrinkDeadlineMs }).catch(() => 0);
          if (Number.isFinite(freed) && freed > 0) shrinker.bytesReturned += freed;
        }
        if (comingBytes() >= wanted()) break;
      }
      step(ctx, { type: 'vm.reclaimed', enough: comingBytes() >= wanted() });
    };

    return {
      async receive(message): Promise<void> {
        switch (message.type) {
          case 'vm.register-shrinker':
            if (reclaim.shrinkers.size >= shrinkersCountMax && !reclaim.shrinkers.has(message.shrinker.pid)) {
              ctx.replyLater(message).reject(new VmArgumentError(`a VM takes at most ${shrinkersCountMax} shrinkers`));
              return;
            }
            reclaim.shrinkers.set(message.shrinker.pid, { ref: message.shrinker, name: message.name, calls: 0, bytesReturned: 0 });
            ctx.reply(message, true);
            return;
          case 'vm.unregister-shrinker':
            ctx.reply(message, reclaim.shrinkers.delete(message.shrinker.pid));
            return;
          case 'vm.pressure':
            await reclaimRound();
            settleWaiters();
            return;
          case 'vm.wait-for-memory': {
            const handle = ctx.replyLater(message);
            if (!Number.isSafeInteger(message.bytes) || message.bytes <= 0) {
              handle.reject(new VmArgumentError(`a wait is for a positive number of bytes, got ${message.bytes}`));
              return;
            }
            waiters.push({ bytes: message.bytes, deadlineAt: ctx.now() + message.deadlineMs, handle });
            await reclaimRound();
            settleWaiters();
            return;
          }
          case 'vm.recheck':
            settleWaiters();
            return;
        }
      },
    };
  }, 'vm-reclaimer');
}
