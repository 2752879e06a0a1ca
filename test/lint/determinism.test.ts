/**
 * Determinism lint: kernel code (actors, supervisors, protocols) must get time, randomness and
 * I/O from injected drivers, or a simulated run would not replay from its seed. This test scans
 * the TypeScript sources and lists every forbidden call or import as file:line.
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findForbiddenUses, maskSource } from './forbidden-calls.js';

// This file runs as dist/test/lint/determinism.test.js; the sources sit three levels up.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const scannedFolders = ['actors', 'supervisors', 'protocols'] as const;
const sourceFileName = /\.(?:ts|mts|cts|tsx|js|mjs|cjs)$/;
const folderDepthMax = 32;

describe('lint: determinism', () => {
  it('finds the repository root from the compiled test file', () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name?: string };
    expect(manifest.name).to.equal('osprey');
  });

  it('has no wall-clock, Math.random, platform timer or fs/net/dgram/child_process use in actors, supervisors, protocols', () => {
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

/** Every source file under `folder` (none if it does not exist yet), skipping declarations. */
function listSourceFiles(folder: string, depth = 0): string[] {
  if (!existsSync(folder)) return [];
  expect(depth, `folder nesting deeper than ${folderDepthMax} at ${folder}`).to.be.below(folderDepthMax);
  const files: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...listSourceFiles(path, depth + 1));
    else if (entry.isFile() && sourceFileName.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files.sort();
}
