// Instructions per operation, counted by valgrind's callgrind rather than timed: repeatable within
// a few per cent on this VM, where times drift by 2× (docs/measured-limits.md §3f). For changes to
// the hot paths that a timed benchmark cannot tell apart from noise.
//
// Each case runs a deterministic workload (instructions-workload.ts) twice under callgrind, with n1
// and n2 operations: (I(n2) − I(n1)) / (n2 − n1) is one operation's cost, start-up and shut-down
// cancelled out. `node --predictable --single-threaded` keeps V8's own threads and timing out of it.
// The fair scheduler's ping-pong is compared with the `fifo` policy's in the same run.
//
// Needs valgrind (Debian's package); without it the file prints one line saying so and no figures.

import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { emit, emitRatio, summary } from './harness.js';

const workload = fileURLToPath(new URL('./instructions-workload.js', import.meta.url));
const REPS = 3;

/** Instructions of one callgrind run of the workload `kind` with `n` operations. */
function instructions(kind: string, n: number): Promise<number> {
  const args = ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--predictable', '--single-threaded', workload, kind, String(n)];
  return new Promise((resolve, reject) => {
    execFile('valgrind', args, { maxBuffer: 1 << 24 }, (error, _stdout, stderr) => {
      const collected = /Collected : (\d+)/.exec(stderr);
      if (error !== null || collected === null) reject(new Error(`callgrind run of ${kind} ${n} failed: ${error?.message ?? stderr.slice(-400)}`));
      else resolve(Number(collected[1]));
    });
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
    await perOperation('scheduler handoff between two entities (wake + sleep + pick)', 'handoff', 200_000, 1_200_000);
  }
}
