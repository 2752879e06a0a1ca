// Start-up costs, each against what a user would start instead, in the same run:
// 1. importing the runtime in a fresh process, against importing xstate (the state-machine library
//    users would pick) in a fresh process; both times are measured inside the child, from before
//    its `import()` to after it;
// 2. `Kernel.boot()` + `shutdown()`, against an xstate machine actor's `createActor().start().stop()`,
//    warm (the mean of many in one process, after WARM_UP_STARTS of each) and cold (the first in a
//    fresh process, after its import);
// 3. `Kernel.boot({ cpus: 2 })` + one ask to the worker CPU + `shutdown()`, against a bare `Worker`
//    that starts, answers one message and is terminated; and against the floor Node sets, a worker
//    that only imports the package and a boot module before it answers (import-worker.ts).
// Cases are interleaved, repetition by repetition, so the VM's drift hits both sides alike. The
// runtime is the package as users import it (`osprey`, the bundle in dist/pkg), as are the boot
// modules its worker CPUs load.

import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { createActor, createMachine } from 'xstate';
import { PackageEcho } from './package-echo.js';
import { emit, emitRatio, maybeGc, summary } from './harness.js';

const REPS = 7;
const IMPORTS_PER_REP = 1;
const BOOTS_PER_REP = 200;
const MACHINE_STARTS_PER_REP = 2_000;
/**
 * Boots, and xstate actor starts, before the warm figures are timed. A boot runs hundreds of
 * functions once each, so V8 optimizes them only after thousands of boots: after 200, a boot still
 * took 2–4× its steady time (250–430 µs against 90–110, December 5, 2026). The first boot, all of
 * it cold, is measured on its own in a fresh process.
 */
const WARM_UP_STARTS = 3_000;
const WORKER_STARTS_PER_REP = 2;

/**
 * Runs each case's repetition in turn, REPS times after one warm-up round; per-rep figures by case.
 * The collection before each repetition is of the young generation only: every case here makes its
 * objects afresh and lets all of them die, so a full collection would free their hidden classes too
 * and cost the next repetition its optimized code (see `maybeGc`). After a full collection, the next
 * 200 boots took 150–230 µs each against 66–100 µs (December 6, 2026).
 */
async function interleaved(cases: readonly (() => Promise<number>)[]): Promise<number[][]> {
  for (const run of cases) await run();
  const values: number[][] = cases.map(() => []);
  for (let rep = 0; rep < REPS; rep++) {
    for (let i = 0; i < cases.length; i++) {
      maybeGc('young');
      values[i]!.push(await cases[i]!());
    }
  }
  return values;
}

/** Milliseconds a fresh process spends in `import(specifier)`. */
async function importMs(specifier: string): Promise<number> {
  let total = 0;
  for (let i = 0; i < IMPORTS_PER_REP; i++) {
    const body = `const t0 = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t0);`;
    total += Number(execFileSync(process.execPath, ['--input-type=module', '-e', body], { encoding: 'utf8' }).trim());
  }
  return total / IMPORTS_PER_REP;
}

/**
 * Milliseconds a fresh process spends in the first run of `body` (an ES module's statements), after
 * `imports` (untimed): what a program pays the first time, its code not yet compiled.
 */
function firstRunMs(imports: string, body: string): number {
  const script = `${imports}\nconst t0 = performance.now();\n${body}\nconsole.log(performance.now() - t0);`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim());
}

/** Mean ms of `count` runs of `once`. */
async function meanMs(count: number, once: () => Promise<void> | void): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await once();
  return (performance.now() - t0) / count;
}

/** The machine both xstate baselines start: plain data, so a fresh process can be handed it as JSON. */
const toggleConfig = { id: 'toggle', initial: 'off', states: { off: { on: { flip: 'on' } }, on: { on: { flip: 'off' } } } };
const toggle = createMachine(toggleConfig);

const echoWorker = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (value) => parentPort.postMessage(value + 1));
`;

/** Starts a bare Worker, has it answer one message, and terminates it. */
async function bareWorkerRoundTrip(): Promise<void> {
  const worker = new Worker(echoWorker, { eval: true });
  const answer = new Promise((resolve) => worker.once('message', resolve));
  worker.postMessage(1);
  if ((await answer) !== 2) throw new Error('the worker answered wrong');
  await worker.terminate();
}

const importWorker = new URL('./import-worker.js', import.meta.url);

/** Starts a worker that imports the package and a boot module, has it answer one message, and terminates it. */
async function importingWorkerRoundTrip(): Promise<void> {
  const worker = new Worker(importWorker);
  const answer = new Promise((resolve) => worker.once('message', resolve));
  worker.postMessage(1);
  if ((await answer) !== 2) throw new Error('the worker answered wrong');
  await worker.terminate();
}

const runtimeEntry = import.meta.resolve('osprey');
const { Kernel } = (await import(runtimeEntry)) as typeof import('../boot/index.js');
const echoModules = [new URL('./package-echo.js', import.meta.url)];

/** Boots a kernel of two worker CPUs, asks an actor on CPU 1 once, and shuts it down. */
async function twoCpuRoundTrip(): Promise<void> {
  const kernel = await Kernel.boot({ cpus: 2, modules: echoModules });
  const echo = kernel.spawn(PackageEcho, { cpu: 1 });
  if ((await echo.ask({ type: 'echo', n: 1 })) !== 1) throw new Error('the echo answered wrong');
  await kernel.shutdown();
}

/**
 * Times `run` against `peer` (and `floor`, when given), interleaved, and emits each and the ratio
 * of their times, with the goal (at most `goal.value`), if it sets one, on the runtime's
 * figure or on the ratio to `peer`. A floor is what the platform takes before the runtime does
 * anything: its ratio tells what the runtime adds, and how near the goal can come.
 */
async function compare(
  names: { readonly figure: string; readonly baseline: string; readonly ratio: string },
  run: () => Promise<number>,
  peer: () => Promise<number>,
  goal: { readonly on: 'figure' | 'ratio'; readonly value: number } | null,
  floor?: { readonly name: string; readonly ratio: string; readonly peerRatio: string; readonly run: () => Promise<number> },
): Promise<void> {
  const [figureValues, baselineValues, floorValues] = await interleaved(floor === undefined ? [run, peer] : [run, peer, floor.run]);
  const figure = summary(names.figure, 'ms', figureValues!);
  const baseline = summary(names.baseline, 'ms', baselineValues!);
  emit(figure, goal?.on === 'figure' ? { goal: goal.value, goalKind: 'max', met: figure.median <= goal.value } : {});
  emit(baseline);
  emitRatio({ name: names.ratio, numerator: figure, denominator: baseline, goalKind: 'max', ...(goal?.on === 'ratio' ? { goal: goal.value } : {}) });
  if (floor === undefined) return;
  const floorFigure = summary(floor.name, 'ms', floorValues!);
  emit(floorFigure);
  emitRatio({ name: floor.ratio, numerator: figure, denominator: floorFigure, goalKind: 'max' });
  emitRatio({ name: floor.peerRatio, numerator: floorFigure, denominator: baseline, goalKind: 'max' });
}

async function bootAndShutdown(): Promise<void> {
  const kernel = await Kernel.boot();
  await kernel.shutdown();
}

function startAndStopMachine(): void {
  createActor(toggle).start().stop();
}

export async function run(): Promise<void> {
  await compare(
    { figure: 'import the runtime in a fresh process', baseline: 'baseline: import xstate in a fresh process', ratio: 'import: runtime / xstate (time)' },
    () => importMs(runtimeEntry),
    () => importMs('xstate'),
    { on: 'figure', value: 60 },
  );
  await meanMs(WARM_UP_STARTS, bootAndShutdown);
  await meanMs(WARM_UP_STARTS, startAndStopMachine);
  await compare(
    {
      figure: 'Kernel.boot() + shutdown()',
      baseline: 'baseline: xstate createActor(machine).start().stop()',
      ratio: 'boot + shutdown / xstate actor start + stop (time)',
    },
    () => meanMs(BOOTS_PER_REP, bootAndShutdown),
    () => meanMs(MACHINE_STARTS_PER_REP, startAndStopMachine),
    { on: 'figure', value: 0.2 },
  );
  await compare(
    {
      figure: 'first Kernel.boot() + shutdown() in a fresh process',
      baseline: 'baseline: first xstate createActor(machine).start().stop() in a fresh process',
      ratio: 'first boot + shutdown / first xstate actor start + stop (time)',
    },
    async () => firstRunMs(`const { Kernel } = await import(${JSON.stringify(runtimeEntry)});`, 'const kernel = await Kernel.boot(); await kernel.shutdown();'),
    async () =>
      firstRunMs(
        "const { createActor, createMachine } = await import('xstate');",
        `createActor(createMachine(${JSON.stringify(toggleConfig)})).start().stop();`,
      ),
    null,
  );
  await compare(
    {
      figure: 'Kernel.boot({ cpus: 2 }) + one ask to cpu 1 + shutdown()',
      baseline: 'baseline: a bare Worker starts, answers one message, terminates',
      ratio: 'two-CPU boot + ask / bare Worker start + message (time)',
    },
    () => meanMs(WORKER_STARTS_PER_REP, twoCpuRoundTrip),
    () => meanMs(WORKER_STARTS_PER_REP, bareWorkerRoundTrip),
    { on: 'ratio', value: 1.5 },
    {
      name: 'floor: a Worker imports the package and a boot module, answers one message, terminates',
      ratio: 'two-CPU boot + ask / the floor (time)',
      peerRatio: 'the floor / bare Worker start + message (time)',
      run: () => meanMs(WORKER_STARTS_PER_REP, importingWorkerRoundTrip),
    },
  );
}
