// Child entry: `node --expose-gc dist/bench/run-one.js <file>.bench.js` imports one bench module and
// awaits its exported run(). Started by run-all.js, one process per bench file.

import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setBenchGroup } from './harness.js';

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (!arg) throw new Error('usage: node --expose-gc dist/bench/run-one.js <name>.bench.js');
  // A bare file name is looked up next to this script (dist/bench/).
  const here = dirname(fileURLToPath(import.meta.url));
  const file = isAbsolute(arg) ? arg : arg.includes('/') ? resolve(arg) : resolve(here, arg);
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    process.stderr.write('run-one: global.gc unavailable (start node with --expose-gc); repetitions will not be separated by a GC\n');
  }
  setBenchGroup(basename(file).replace(/\.bench\.js$/, ''));
  const mod = (await import(pathToFileURL(file).href)) as { run?: () => unknown };
  if (typeof mod.run !== 'function') throw new Error(`${file} does not export run()`);
  await mod.run();
}

main().catch((err: unknown) => {
  process.stderr.write(`run-one: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
