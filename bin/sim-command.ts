/**
 * `osprey sim <scenario>`: runs a scenario module (its default export, made with `scenario()` from
 * osprey/sim) on simulated kernels, seed after seed, and prints the line that reproduces the first
 * failure; or one seed, its report, tape, shrunk faults or trace.
 *
 * @example
 * ```sh
 * npx osprey sim dist/bank.sim.js --seeds 500       # a campaign, with a progress bar
 * npx osprey sim dist/bank.sim.js --export fixed --seeds 500   # the module's scenario named `fixed`
 * npx osprey sim dist/bank.sim.js --seed 8812       # one run, its report
 * npx osprey sim dist/bank.sim.js --seed 8812 --check-determinism
 * npx osprey sim dist/bank.sim.js --seed 8812 --save-tape bank.tape.json
 * npx osprey sim dist/bank.sim.js --replay bank.tape.json
 * npx osprey sim dist/bank.sim.js --seed 8812 --shrink   # the fewest, smallest faults that still break it
 * npx osprey sim dist/bank.sim.js --seed 8812 --trace bank.trace.json   # the run as a Perfetto trace
 * ```
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Command, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import { checkDeterminism, describeResult, isTape, runCampaign, runScenario, type Scenario, sequenceChart, shrinkFaults, shrinkTape } from '../sim/index.js';
import { serializeTrace, TraceRecorder } from '../inspector/index.js';

/** Adds `sim` to `program`. */
export function addSimCommand(program: Command): void {
  program
    .command('sim')
    .description('run a scenario under simulation, seed after seed, and name the seed of the first failure')
    .argument('<scenario>', 'the module whose default export is the scenario (a .js file)')
    .option('--export <name>', "run the module's export of this name instead of its default export")
    .option('--seeds <n>', 'how many seeds to run', positiveInteger, 100)
    .option('--first-seed <n>', 'the first seed of a campaign', nonNegativeInteger, 0)
    .option('--seed <n>', 'run this one seed and print its report', nonNegativeInteger)
    .option('--check-determinism', 'run the seed twice and name the first event that differs')
    .option('--save-tape <file>', "with --seed: write every random draw of the run to this file (JSON); with --shrink, the shrunk run's")
    .option('--replay <file>', "replay a run from a tape that --save-tape wrote (the tape's seed)")
    .option('--shrink', 'with --seed: shrink the failing run to the fewest, smallest faults that still break it')
    .option('--trace <file>', 'with --seed: write the run as a Chrome trace to this file (JSON; open it in https://ui.perfetto.dev)')
    .action(async (modulePath: string, options: SimOptions, command: Command) => {
      const scenario = await loadScenario(command, modulePath, options.export ?? 'default');
      // What the reproduction lines name: the module, and the export when it is not the default.
      const shown = options.export === undefined ? modulePath : `${modulePath} --export ${options.export}`;
      if (
        options.trace !== undefined &&
        (options.seed === undefined || options.replay !== undefined || options.checkDeterminism === true || options.shrink === true)
      ) {
        return command.error('--trace records one run: give its --seed (and no --replay, --check-determinism or --shrink)');
      }
      if (options.replay !== undefined) return replay(command, scenario, options.replay);
      if ((options.saveTape !== undefined || options.shrink === true) && options.seed === undefined) {
        return command.error('--save-tape and --shrink work on one run: give its --seed');
      }
      if (options.checkDeterminism === true) return determinism(scenario, options.seed ?? options.firstSeed);
      if (options.shrink === true) return shrink(command, scenario, shown, options.seed!, options.saveTape);
      if (options.seed !== undefined) return runOne(scenario, shown, options.seed, options.saveTape, options.trace);
      return campaign(scenario, shown, options.seeds, options.firstSeed);
    });
}

interface SimOptions {
  readonly seeds: number;
  readonly firstSeed: number;
  readonly seed?: number;
  readonly checkDeterminism?: boolean;
  readonly saveTape?: string;
  readonly replay?: string;
  readonly shrink?: boolean;
  readonly trace?: string;
  readonly export?: string;
}

/** A campaign: a progress bar, then seeds per hour and the line that reproduces the first failure. */
async function campaign(scenario: Scenario<unknown>, modulePath: string, seeds: number, firstSeed: number): Promise<void> {
  const bar = new SingleBar({
    format: `${scenario.name} [{bar}] {value}/{total} seeds | {rate} simulated s per wall s`,
    stream: process.stderr,
    hideCursor: true,
  });
  const startedMs = performance.now();
  let simulatedMs = 0;
  bar.start(seeds, 0, { rate: '-' });
  const summary = await runCampaign(scenario, {
    seeds,
    firstSeed,
    onRun: (result) => {
      simulatedMs += result.simulatedMs;
      bar.increment(1, { rate: (simulatedMs / Math.max(1, performance.now() - startedMs)).toFixed(1) });
    },
  });
  bar.stop();
  const wallS = (performance.now() - startedMs) / 1000;
  const perHour = Math.round((summary.runs / wallS) * 3600);
  console.log(
    `${summary.runs} seed(s) in ${wallS.toFixed(1)} s: ${perHour} seeds per hour, ${(summary.simulatedMs / 1000 / wallS).toFixed(1)} simulated s per wall s`,
  );
  for (const name of summary.sometimesNeverHeld) console.log(`sometimes '${name}' never held in any run`);
  if (summary.failed === null) {
    console.log('every seed passed');
    return;
  }
  console.log(describeResult(summary.failed));
  console.log(`reproduce: npx osprey sim ${modulePath} --seed ${summary.failed.seed}`);
  process.exitCode = 1;
}

/** One seed: its fault plan first, then its report; with `tapeFile`, its tape written there; with `traceFile`, its trace. */
async function runOne(
  scenario: Scenario<unknown>,
  modulePath: string,
  seed: number,
  tapeFile: string | undefined,
  traceFile: string | undefined,
): Promise<void> {
  const recorder = traceFile !== undefined ? new TraceRecorder() : undefined;
  const result = await runScenario(scenario, {
    seed,
    recordTape: tapeFile !== undefined,
    onEvent: recorder === undefined ? undefined : (event) => recorder.record(event),
    onPlan: (_plan, text) => console.log(`${scenario.name}, seed ${seed}: ${text}`),
  });
  console.log(describeResult(result));
  if (tapeFile !== undefined) {
    writeFileSync(tapeFile, JSON.stringify(result.tape));
    console.log(`tape written to ${tapeFile}: replay it with npx osprey sim ${modulePath} --replay ${tapeFile}`);
  }
  if (recorder !== undefined) {
    const trace = recorder.toJSON();
    writeFileSync(traceFile!, serializeTrace(trace));
    console.log(`trace: ${traceFile} (${trace.traceEvents.length} events); open it in https://ui.perfetto.dev`);
    if (recorder.droppedEvents > 0)
      console.log(`  the trace stops after ${recorder.recordedEvents} kernel events: ${recorder.droppedEvents} more were left out`);
  }
  process.exitCode = result.ok ? 0 : 1;
}

async function replay(command: Command, scenario: Scenario<unknown>, tapeFile: string): Promise<void> {
  const tape = readTape(tapeFile);
  if (!isTape(tape)) return command.error(`${tapeFile} is not a tape (a seed and streams of numbers, as --save-tape writes)`);
  const result = await runScenario(scenario, { seed: tape.seed, tape });
  console.log(describeResult(result));
  process.exitCode = result.ok ? 0 : 1;
}

async function determinism(scenario: Scenario<unknown>, seed: number): Promise<void> {
  const { same, firstDifference } = await checkDeterminism(scenario, seed);
  if (same) console.log(`${scenario.name}, seed ${seed}: the same run twice, event for event`);
  else
    console.log(
      `${scenario.name}, seed ${seed}: the runs differ at event ${firstDifference!.index}:\n  first:  ${firstDifference!.first}\n  second: ${firstDifference!.second}`,
    );
  process.exitCode = same ? 0 : 1;
}

/** Shrinks a failing seed: its faults, then its tape; prints the timeline and the chart, and with `tapeFile` saves the shrunk tape. */
async function shrink(command: Command, scenario: Scenario<unknown>, modulePath: string, seed: number, tapeFile: string | undefined): Promise<void> {
  const shrunk = await shrinkFaults(scenario, seed).catch((error: unknown) => command.error((error as Error).message));
  console.log(`${scenario.name}, seed ${seed}: ${shrunk.original.faultsText}`);
  console.log(`shrunk in ${shrunk.runs} runs to: ${shrunk.result.faultsText}`);
  const tape = await shrinkTape(scenario, seed, shrunk.plan);
  console.log(`its draws, in ${tape.runs} runs: ${tape.drawsChanged} of ${tape.draws} moved toward zero`);
  console.log(describeResult(tape.result));
  const run = await runScenario(scenario, { seed, tape: tape.tape, keepEvents: true });
  console.log(`\nthe shrunk run as a Mermaid sequence chart:\n${sequenceChart(run)}`);
  if (tapeFile !== undefined) {
    writeFileSync(tapeFile, JSON.stringify(tape.tape));
    console.log(`shrunk tape written to ${tapeFile}: replay it with npx osprey sim ${modulePath} --replay ${tapeFile}`);
  }
  process.exitCode = 1;
}

async function loadScenario(command: Command, modulePath: string, exportName: string): Promise<Scenario<unknown>> {
  const module = (await import(pathToFileURL(resolve(modulePath)).href)) as Record<string, Scenario<unknown> | undefined>;
  const scenario = module[exportName];
  if (scenario === undefined || typeof scenario.workload !== 'function' || typeof scenario.name !== 'string') {
    const what = exportName === 'default' ? 'its default export (export default scenario({ ... }) from osprey/sim)' : `its export '${exportName}'`;
    return command.error(`${modulePath} has no scenario as ${what}`);
  }
  return scenario;
}

/** The JSON in `path`, or undefined when it has none. */
function readTape(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError('a positive integer');
  return value;
}

function nonNegativeInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError('a non-negative integer');
  return value;
}
