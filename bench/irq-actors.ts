// Interrupt handlers of bench/irq.bench.ts, in a boot module so that a worker CPU can run them.
import { interruptHandler } from '../actors/irq/index.js';
import { type Ask, fromReceive } from '../boot/index.js';

/** Milliseconds on a clock every thread shares (each thread's `performance.now()` has its own origin). */
export function sharedClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Latencies this thread's probes measured since the last `take`, in ns. */
const latenciesNs: number[] = [];

export interface LatencySummary {
  readonly count: number;
  readonly medianNs: number;
  readonly p99Ns: number;
}

export type LatencyProbeMsg = Ask<{ readonly type: 'take' }, LatencySummary>;

/**
 * An interrupt handler whose events are `sharedClockMs()` stamps taken at the raise: it records how
 * long each took to reach it. `take` answers the median and p99 so far and starts afresh.
 */
export const LatencyProbe = interruptHandler<number, LatencyProbeMsg>(
  (stamps) => {
    const at = sharedClockMs();
    for (const stamp of stamps) latenciesNs.push((at - stamp) * 1e6);
  },
  {
    label: 'LatencyProbe',
    receive(message, ctx) {
      const sorted = latenciesNs.splice(0).sort((a, b) => a - b);
      const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
      ctx.reply(message, { count: sorted.length, medianNs: at(0.5), p99Ns: at(0.99) });
    },
  },
);

/** Keeps its CPU busy: each message tells itself the next (an ordinary, fair-class actor). */
export const Busy = fromReceive<{ readonly type: 'spin' }>((message, ctx) => void ctx.self.tell(message), 'Busy');
