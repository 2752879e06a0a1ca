/**
 * Shared fixtures of the supervision conformance suite: simulated kernels and a probe actor that
 * writes every lifecycle step into a shared log, so a test can assert the exact stop/start order.
 */
import { type ActorContext, type ActorRef, type Ask, fromSetup, Kernel, type BehaviorFactory } from '../../boot/index.js';
import type { ChildInfo, ChildSpec, SupervisorMsg } from '../../supervisors/index.js';

export { collectEvents, collectFailures, shutdown } from '../helpers/kernel.js';

/** Messages every probe understands. */
export type ProbeMsg =
  | { readonly type: 'crash' }
  | { readonly type: 'stop' }
  | { readonly type: 'note'; readonly n: number }
  | Ask<{ readonly type: 'ping' }, ProbeInfo>
  | Ask<{ readonly type: 'crash-ask' }, never>;

/** What a probe answers to `ping`: who it is and which incarnation of it answered. */
export interface ProbeInfo {
  readonly id: string;
  readonly incarnation: number;
  readonly pid: number;
  readonly atMs: number;
}

export interface ProbeOptions {
  /** What `stopped` returns: nothing (sync), a promise settling after `delayMs` of kernel time, or one that never settles. */
  readonly stopping?: { readonly kind: 'sync' } | { readonly kind: 'delay'; readonly delayMs: number } | { readonly kind: 'hang' };
}

/** A log shared by the probes of one test, plus the time of each entry. */
export class Log {
  readonly entries: string[] = [];
  readonly timed: Array<{ readonly entry: string; readonly atMs: number }> = [];
  /** Incarnations started so far, per probe id. */
  readonly incarnations = new Map<string, number>();

  push(entry: string, atMs: number): void {
    this.entries.push(entry);
    this.timed.push({ entry, atMs });
  }

  /** Forgets what was logged so far (keep the incarnation counts). */
  clear(): void {
    this.entries.length = 0;
    this.timed.length = 0;
  }

  /** The time of the last entry equal to `entry`. */
  timeOf(entry: string): number | undefined {
    for (let i = this.timed.length - 1; i >= 0; i--) if (this.timed[i]!.entry === entry) return this.timed[i]!.atMs;
    return undefined;
  }

  /**
   * A probe behaviour: logs `start:<id>` when an incarnation starts, `stop:<id>:<reason>` when it
   * ends (after its async stop, if any), `msg:<id>:<n>` for each `note`; throws on `crash`, calls
   * `ctx.stop()` on `stop`, answers `ping`.
   */
  probe(id: string, options: ProbeOptions = {}): BehaviorFactory<ProbeMsg> {
    const log = this;
    return fromSetup<ProbeMsg>((ctx) => {
      const incarnation = (log.incarnations.get(id) ?? 0) + 1;
      log.incarnations.set(id, incarnation);
      return {
        started(c: ActorContext<ProbeMsg>) {
          log.push(`start:${id}`, c.now());
        },
        receive(message: ProbeMsg, c: ActorContext<ProbeMsg>) {
          switch (message.type) {
            case 'crash':
              throw new Error(`boom:${id}`);
            case 'crash-ask':
              throw new Error(`boom-ask:${id}`);
            case 'stop':
              c.stop();
              return;
            case 'note':
              log.push(`msg:${id}:${message.n}`, c.now());
              return;
            case 'ping':
              c.reply(message, { id, incarnation, pid: c.pid, atMs: c.now() });
              return;
          }
        },
        stopped(c: ActorContext<ProbeMsg>, reason) {
          const stopping = options.stopping ?? { kind: 'sync' };
          if (stopping.kind === 'sync') {
            log.push(`stop:${id}:${reason}`, c.now());
            return;
          }
          if (stopping.kind === 'hang') {
            log.push(`stopping:${id}:${reason}`, c.now());
            return new Promise<void>(() => {});
          }
          log.push(`stopping:${id}:${reason}`, c.now());
          const clock = ctx.self.cell.kernel.clock;
          return new Promise<void>((resolve) => {
            clock.setTimer(stopping.delayMs, () => {
              log.push(`stop:${id}:${reason}`, clock.now());
              resolve();
            });
          });
        },
      };
    }, `probe:${id}`);
  }

  /** A child spec for a probe registered under the name `id`. */
  spec(id: string, extra: Partial<ChildSpec<never>> = {}, options: ProbeOptions = {}): ChildSpec<never> {
    return { id, start: this.probe(id, options) as never, options: { name: id }, ...extra };
  }
}

export async function boot(seed = 1): Promise<Kernel> {
  return Kernel.boot({ mode: 'simulated', seed });
}

/** Runs the simulated kernel until nothing is left to do. */
export async function settle(kernel: Kernel): Promise<void> {
  await kernel.runUntilIdle();
}

/** The live ref registered under `name` (throws if there is none). */
export function probeRef(kernel: Kernel, name: string): ActorRef<ProbeMsg> {
  const ref = kernel.lookup<ProbeMsg>(name);
  if (ref === undefined) throw new Error(`no live actor named '${name}'`);
  return ref;
}

/** Asks a supervisor for its children, driving the clock until the answer comes. */
export async function whichChildren(kernel: Kernel, sup: ActorRef<SupervisorMsg>): Promise<readonly ChildInfo[]> {
  const answer = sup.ask({ type: 'which-children' });
  await settle(kernel);
  return answer;
}

/** Asks `ref` and drives the clock until the ask settles; returns the value or throws its error. */
export async function askSettled<T>(kernel: Kernel, ask: () => Promise<T>): Promise<T> {
  const pending = ask();
  pending.catch(() => {});
  await settle(kernel);
  return pending;
}

/** Asks a supervisor for its children without letting virtual time move (`advance(0)`). */
export async function whichChildrenNow(kernel: Kernel, sup: ActorRef<SupervisorMsg>): Promise<readonly ChildInfo[]> {
  const answer = sup.ask({ type: 'which-children' });
  await kernel.simulatedClock.advance(0);
  return answer;
}
