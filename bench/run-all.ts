// Runs every `*.bench.js` next to this file (dist/bench/), in alphabetical order.
//
// Each bench file runs in its OWN child process (`node --expose-gc run-one.js <file>`): otherwise
// the heap left by one file (and the GC work it causes later), V8's type feedback and optimised code,
// and shared call sites in the harness would carry over and skew the next file's figures. Ratios are
// computed inside one child, so numerator and denominator always share a process.
//
// stdout: only the children's JSON lines (passed through). Progress goes to stderr.
// BENCH_FILTER=substring runs only the files whose name contains it.
// BENCH_TIMEOUT_MS (default 2400000: instructions.bench runs callgrind for 8–25 min, as fast as the
// machine is that day) kills a child that hangs; that counts as a failure.
// Exit status: non-zero if any child failed (the remaining files still run).

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.env.BENCH_FILTER ?? '';
const timeout = Number(process.env.BENCH_TIMEOUT_MS ?? 2_400_000);

const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js') && f.includes(filter))
  .sort();

if (files.length === 0) {
  process.stderr.write(`run-all: no *.bench.js in ${here}${filter ? ` matching "${filter}"` : ''}\n`);
  process.exit(1);
}

const failed: string[] = [];
for (const file of files) {
  process.stderr.write(`run-all: ${file}\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, 'run-one.js'), file], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout,
  });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    const why = r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit ${r.status}`;
    process.stderr.write(`run-all: ${file} FAILED (${why}) after ${secs} s\n`);
    failed.push(file);
  } else {
    process.stderr.write(`run-all: ${file} done in ${secs} s\n`);
  }
}

if (failed.length > 0) {
  process.stderr.write(`run-all: ${failed.length} of ${files.length} failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
