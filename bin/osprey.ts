#!/usr/bin/env node
/**
 * The `osprey` command. `osprey sim <scenario>` runs a scenario module (its default export, made with
 * `scenario()` from osprey/sim) on simulated kernels, seed after seed, and prints the line that
 * reproduces the first failure.
 *
 * @example
 * ```sh
 * npx osprey sim dist/bank.sim.js --seeds 500       # a campaign, with a progress bar
 * npx osprey sim dist/bank.sim.js --seed 8812       # one run, its report
 * npx osprey sim dist/bank.sim.js --seed 8812 --check-determinism
 * npx osprey sim dist/bank.sim.js --seed 8812 --save-tape bank.tape.json
 * npx osprey sim dist/bank.sim.js --replay bank.tape.json
 * ```
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import { checkDeterminism, describeFaultPlan, describeResult, isTape, runCampaign, runScenario, type Scenario } from '../sim/index.js';

const program = new Command('osprey').description('an actor microkernel for Node.js: tools').showHelpAfterError();

program
  .command('sim')
  .description('run a scenario under simulation, seed after seed, and name the seed of the first failure')
  .argument('<scenario>', 'the module whose default export is the scenario (a .js file)')
  .option('--seeds <n>', 'how many seeds to run', positiveInteger, 100)
  .option('--first-seed <n>', 'the first seed of a campaign', nonNegativeInteger, 0)
  .option('--seed <n>', 'run this one seed and print its report', nonNegativeInteger)
  .option('--check-determinism', 'run the seed twice and name the first event that differs')
  .option('--save-tape <file>', 'with --seed: write every random draw of the run to this file (JSON)')
  .option('--replay <file>', "replay a run from a tape that --save-tape wrote (the tape's seed)")
  .action(
    async (
      modulePath: string,
      options: { seeds: number; firstSeed: number; seed?: number; checkDeterminism?: boolean; saveTape?: string; replay?: string },
    ) => {
      const scenario = await loadScenario(modulePath);
      if (options.replay !== undefined) {
        const tape = readTape(options.replay);
        if (!isTape(tape)) return program.error(`${options.replay} is not a tape (a seed and streams of numbers, as --save-tape writes)`);
        const result = await runScenario(scenario, { seed: tape.seed, tape });
        console.log(describeResult(result));
        process.exitCode = result.ok ? 0 : 1;
        return;
      }
      if (options.saveTape !== undefined && options.seed === undefined) return program.error('--save-tape records one run: give its --seed');
      const again = (seed: number) => `npx osprey sim ${modulePath} --seed ${seed}`;
      if (options.checkDeterminism === true) {
        const seed = options.seed ?? options.firstSeed;
        const { same, firstDifference } = await checkDeterminism(scenario, seed);
        if (same) console.log(`${scenario.name}, seed ${seed}: the same run twice, event for event`);
        else
          console.log(
            `${scenario.name}, seed ${seed}: the runs differ at event ${firstDifference!.index}:\n  first:  ${firstDifference!.first}\n  second: ${firstDifference!.second}`,
          );
        process.exitCode = same ? 0 : 1;
        return;
      }
      if (options.seed !== undefined) {
        const result = await runScenario(scenario, {
          seed: options.seed,
          recordTape: options.saveTape !== undefined,
          onPlan: (plan) => console.log(`${scenario.name}, seed ${options.seed}: ${describeFaultPlan(plan)}`),
        });
        console.log(describeResult(result));
        if (options.saveTape !== undefined) {
          writeFileSync(options.saveTape, JSON.stringify(result.tape));
          console.log(`tape written to ${options.saveTape}: replay it with npx osprey sim ${modulePath} --replay ${options.saveTape}`);
        }
        process.exitCode = result.ok ? 0 : 1;
        return;
      }
      const bar = new SingleBar({
        format: `${scenario.name} [{bar}] {value}/{total} seeds | {rate} simulated s per wall s`,
        stream: process.stderr,
        hideCursor: true,
      });
      const startedMs = performance.now();
      let simulatedMs = 0;
      bar.start(options.seeds, 0, { rate: '-' });
      const summary = await runCampaign(scenario, {
        seeds: options.seeds,
        firstSeed: options.firstSeed,
        onRun: (result) => {
          simulatedMs += result.simulatedMs;
          bar.increment(1, { rate: (simulatedMs / Math.max(1, performance.now() - startedMs)).toFixed(1) });
        },
      });
      bar.stop();
      const wallS = (performance.now() - startedMs) / 1000;
      console.log(
        `${summary.runs} seed(s) in ${wallS.toFixed(1)} s: ${Math.round((summary.runs / wallS) * 3600)} seeds per hour, ${(summary.simulatedMs / 1000 / wallS).toFixed(1)} simulated s per wall s`,
      );
      for (const name of summary.sometimesNeverHeld) console.log(`sometimes '${name}' never held in any run`);
      if (summary.failed === null) {
        console.log('every seed passed');
        return;
      }
      console.log(describeResult(summary.failed));
      console.log(`reproduce: ${again(summary.failed.seed)}`);
      process.exitCode = 1;
    },
  );

await program.parseAsync();

async function loadScenario(modulePath: string): Promise<Scenario<unknown>> {
  const module = (await import(pathToFileURL(resolve(modulePath)).href)) as { default?: Scenario<unknown> };
  const scenario = module.default;
  if (scenario === undefined || typeof scenario.workload !== 'function' || typeof scenario.name !== 'string') {
    return program.error(`${modulePath} has no scenario as its default export (export default scenario({ ... }) from osprey/sim)`);
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
