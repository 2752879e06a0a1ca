// Instructions per operation, counted by valgrind's callgrind rather than timed: repeatable within
// a few per cent on this VM, where times drift by 2× (docs/measured-limits.md §3f). For changes to
// the hot paths that a timed benchmark cannot tell apart from noise.
//
// Each case runs a deterministic workload (instructions-workload.ts) twice under callgrind, with n1
// and n2 operations: (I(n2) − I(n1)) / (n2 − n1) is one operation's cost, start-up and shut-down
// cancelled out. `node --predictable --single-threaded` keeps V8's own threads and timing out of it.
// The fair scheduler's ping-pong is compared with the `fifo` policy's in the same run, on a simulated
// kernel and on the real-time paths (a real clock whose readings are made up, so runs repeat); an ask
// from outside is compared with xstate's fromCallback request/reply, and a tell to another CPU (both
// CPUs simulated in this thread) with structuredClone of a batch of 64, what postMessage does to it.
//
// Needs valgrind (Debian's package); without it the file prints one line saying so and no figures.

import { type ChildProcess, execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { emit, emitRatio, summary } from './harness.js';

const workload = fileURLToPath(new URL('./instructions-workload.js', import.meta.url));
const REPS = 3;

/** The callgrind runs under way: a run-all that gives up on this file (SIGTERM) must not leave them running. */
const running = new Set<ChildProcess>();
process.once('SIGTERM', () => {
  for (const child of running) child.kill('SIGKILL');
  process.exit(1);
});

/** Instructions of one callgrind run of the workload `kind` with `n` operations. */
function instructions(kind: string, n: number): Promise<number> {
  const args = ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--predictable', '--single-threaded', workload, kind, String(n)];
  return new Promise((resolve, reject) => {
    const child = execFile('valgrind', args, { maxBuffer: 1 << 24 }, (error, _stdout, stderr) => {
      running.delete(child);
      const collected = /Collected : (\d+)/.exec(stderr);
      if (error !== null || collected === null) reject(new Error(`callgrind run of ${kind} ${n} failed: ${error?.message ?? stderr.slice(-400)}`));
      else resolve(Number(collected[1]));
    });
    running.add(child);
  });
}

/** One operation's instructions, REPS times; the two runs of a repetition go side by side (2 cores). */
async function perOperation(name: string, kind: string, n1: number, n2: number) {
  const values: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const [i1, i2] = await Promise.all([instructions(kind, n1), instructions(kind, n2)]);
    values.push((i2 - i1) / (n2 - n1));
  }
  const result = summary(name, 'instructions', values);
  emit(result, { n1, n2 });
  return result;
}

export async function run(): Promise<void> {
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    // One line that says why there are no figures, rather than figures of 0.
    process.stdout.write(`${JSON.stringify({ bench: 'instructions', skipped: 'valgrind is not installed (Debian package valgrind)' })}\n`);
  } else {
    const fair = await perOperation('ping-pong round trip, simulated kernel, fair scheduler', 'ping-pong-fair', 20_000, 120_000);
    const fifo = await perOperation('ping-pong round trip, simulated kernel, fifo policy', 'ping-pong-fifo', 20_000, 120_000);
    emitRatio({ name: 'ping-pong instructions: fair scheduler / fifo policy', numerator: fair, denominator: fifo, goal: 1.5, goalKind: 'max' });
    const fairReal = await perOperation('ping-pong round trip, real-time paths, fair scheduler', 'ping-pong-real-fair', 20_000, 120_000);
    const fifoReal = await perOperation('ping-pong round trip, real-time paths, fifo policy', 'ping-pong-real-fifo', 20_000, 120_000);
    emitRatio({
      name: 'ping-pong instructions, real-time paths: fair scheduler / fifo policy',
      numerator: fairReal,
      denominator: fifoReal,
      goal: 1.5,
      goalKind: 'max',
    });
    const ask = await perOperation('ask round trip from outside an actor, real-time paths', 'ask-outside', 10_000, 60_000);
    const askInside = await perOperation('ask round trip from inside an actor, real-time paths', 'ask-inside', 10_000, 60_000);
    const xstateAsk = await perOperation('baseline: xstate fromCallback request/reply', 'xstate-ask', 10_000, 60_000);
    // Instructions, not time: a proxy for the timed ratios in runtime.bench, which this VM's noise blurs.
    emitRatio({ name: 'ask instructions: from outside / xstate fromCallback request/reply', numerator: ask, denominator: xstateAsk, goalKind: 'max' });
    emitRatio({ name: 'ask instructions: from inside / xstate fromCallback request/reply', numerator: askInside, denominator: xstateAsk, goalKind: 'max' });
    const handoff = await perOperation('scheduler handoff between two entities (wake + sleep + pick)', 'handoff', 200_000, 1_200_000);
    const direct = await perOperation('scheduler handoff between two entities in one call (handOff)', 'handoff-direct', 200_000, 1_200_000);
    emitRatio({ name: 'scheduler handoff instructions: handOff / wake + sleep + pick', numerator: direct, denominator: handoff, goalKind: 'max' });
    // What the fair policy's ping-pong would cost if its dispatcher added nothing to the scheduler's
    // own work: `fifo`'s round trip plus the two hand-offs of the scheduler alone (with their loop,
    // a few dozen instructions). Its ratio to `fifo` says how near the 1.5x goal this scheduler can come.
    const floor = summary(
      'floor: ping-pong round trip, fifo policy plus two scheduler handOffs',
      'instructions',
      fifoReal.values.map((value, rep) => value + 2 * direct.values[rep]!),
    );
    emit(floor);
    emitRatio({ name: 'ping-pong instructions: the floor / fifo policy', numerator: floor, denominator: fifoReal, goalKind: 'max' });
    const crossCpu = await perOperation('cross-CPU tell, simulated two-CPU kernel, sender and receiver', 'cross-cpu-tell', 20_000, 60_000);
    const clone = await perOperation('baseline: structuredClone of 64 messages, per message', 'structured-clone-batched', 64_000, 192_000);
    // Instructions, not time: a proxy for cpu.bench's timed ratio to postMessage batched 64 per post.
    emitRatio({ name: 'cross-CPU tell instructions / structuredClone batched 64', numerator: crossCpu, denominator: clone, goal: 1, goalKind: 'max' });
  }
}
