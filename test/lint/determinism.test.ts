/**
 * Determinism lint: kernel code (everything but the drivers, the programs at the edge, benchmarks
 * and tests) must get time, randomness and I/O from injected drivers, or a simulated run would not
 * replay from its seed. This test scans the TypeScript sources and lists every forbidden call or
 * import as file:line.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { findForbiddenUses, maskSource } from './forbidden-calls.js';
import { listSourceFiles, repoRoot } from './sources.js';

/** Folders that may touch the outside world: the drivers, and code that is not the kernel's. */
const exemptFolders = new Set(['drivers', 'bench', 'test', 'build', 'bin', 'examples', 'node_modules', 'dist']);
/** The kernel's folders: every top-level folder with sources but the exempt ones. */
const scannedFolders = readdirSync(repoRoot, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !exemptFolders.has(entry.name))
  .map((entry) => entry.name)
  .sort();

describe('lint: determinism', () => {
  it('finds the repository root from the compiled test file', () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name?: string };
    expect(manifest.name).to.equal('osprey');
  });

  it('scans the kernel: ground, protocols, actors, supervisors and boot at least', () => {
    expect(scannedFolders).to.include.members(['ground', 'protocols', 'actors', 'supervisors', 'boot']);
    expect(scannedFolders).to.not.include('drivers');
  });

  it('has no wall-clock, Math.random, platform timer, timed Atomics wait or fs/net/dgram/child_process use in kernel code', () => {
    const report: string[] = [];
    for (const folder of scannedFolders) {
      for (const file of listSourceFiles(join(repoRoot, folder))) {
        for (const use of findForbiddenUses(readFileSync(file, 'utf8'))) {
          report.push(`${relative(repoRoot, file)}:${use.line}:${use.column} ${use.what}`);
        }
      }
    }
    expect(report, `forbidden uses (inject a Clock/Random driver instead):\n${report.join('\n')}\n`).to.deep.equal([]);
  });
});

describe('lint: forbidden-calls checker', () => {
  const forbiddenLines = [
    'const t0 = Date.now();',
    'const t1 = performance.now();',
    'const r = Math.random();',
    'setTimeout(() => {}, 10);',
    'const id = setInterval(tick, 5);',
    'setImmediate(drain);',
    'queueMicrotask(drain);',
    'globalThis.setTimeout(drain, 1);',
    "import { readFile } from 'fs';",
    "import { readFile } from 'node:fs';",
    "import { readFile } from 'fs/promises';",
    "import * as fsp from 'node:fs/promises';",
    "import net from 'net';",
    "import { createServer } from 'node:net';",
    "import dgram from 'dgram';",
    "import { createSocket } from 'node:dgram';",
    "import { spawn } from 'child_process';",
    "import { spawn } from 'node:child_process';",
    "import 'node:fs';",
    "export { readFile } from 'node:fs';",
    "const fs = require('fs');",
    "const cp = require('node:child_process');",
    "const mod = await import('node:net');",
    'const mod = await import(`dgram`);',
    'Atomics.wait(words, 0, 0, 50);',
    'await Atomics.waitAsync(words, 0, 1, timeoutMs).value;',
    'Atomics.wait(words, index(0, 1), f(a, b), ms);',
  ];

  for (const line of forbiddenLines) {
    it(`flags: ${line}`, () => {
      expect(findForbiddenUses(line)).to.have.length(1);
    });
  }

  const allowedLines = [
    'mySetTimeout(() => {}, 10);',
    'clock.setTimer(10, fire);',
    'clock.now();',
    'this.setTimeout(fire, 1);',
    'const random = rng.random();',
    'updateDate.now(1);',
    '// setTimeout(fire, 1); Date.now()',
    '/* Math.random() and\n import fs from "fs" */',
    "log('never call setTimeout( here');",
    'const text = `queueMicrotask( is banned`;',
    "import { Worker } from 'node:worker_threads';",
    "import { join } from 'node:path';",
    "import { fsync } from './fsync.js';",
    "const list = Array.from('fs');",
    'Atomics.wait(words, 0, 0);',
    'Atomics.notify(words, 0, 1);',
    'clock.waitWhile(words, 0, 0, 50);',
  ];

  for (const line of allowedLines) {
    it(`does not flag: ${line.replace(/\n/g, '\\n')}`, () => {
      expect(findForbiddenUses(line)).to.deep.equal([]);
    });
  }

  it('reports line and column, in source order, and looks inside template substitutions', () => {
    const source = [
      '/* header',
      '   Date.now() */ const a = 1;',
      "const s = 'it\\'s // not a comment'; setImmediate(go);",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal, as the checker reads it
      'const t = `at ${Date.now()} ms`;',
    ].join('\n');
    expect(findForbiddenUses(source)).to.deep.equal([
      { line: 3, column: 37, what: 'call setImmediate(' },
      { line: 4, column: 17, what: 'call Date.now(' },
    ]);
  });

  it('masks comments without moving offsets', () => {
    const source = "a(); // x\n/* y\n z */ b('//');";
    const masked = maskSource(source, { strings: false });
    expect(masked).to.have.length(source.length);
    expect(masked.split('\n')).to.deep.equal(['a();     ', '    ', "      b('//');"]);
  });
});
