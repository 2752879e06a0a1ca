/**
 * The published types: a program that imports the package by its name type-checks against the
 * emitted declarations (with their own checks on), and the internals (the kernel core, a ref's
 * cell) are not in them, so users cannot come to depend on them.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './sources.js';

describe('lint: the public types', () => {
  it('type-check a program that uses the package by name, and hide the internals', function () {
    this.timeout(60_000);
    const home = mkdtempSync(join(tmpdir(), 'osprey-consumer-'));
    try {
      // The package as a consumer installs it: its manifest and its build, under node_modules/osprey.
      const installed = join(home, 'node_modules', 'osprey');
      mkdirSync(installed, { recursive: true });
      cpSync(join(repoRoot, 'package.json'), join(installed, 'package.json'));
      symlinkSync(join(repoRoot, 'dist'), join(installed, 'dist'), 'dir');
      symlinkSync(join(repoRoot, 'node_modules', '@types'), join(home, 'node_modules', '@types'), 'dir');
      for (const dependency of ['rxjs', 'xstate', 'msgpackr'])
        symlinkSync(join(repoRoot, 'node_modules', dependency), join(home, 'node_modules', dependency), 'dir');
      writeFileSync(join(home, 'package.json'), JSON.stringify({ type: 'module' }));
      writeFileSync(join(home, 'consumer.ts'), readFileSync(join(repoRoot, 'test', 'lint', 'fixtures', 'consumer.ts.txt'), 'utf8'));
      const compilerOptions = {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
      };
      writeFileSync(join(home, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }));
      const tsc = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', home], { encoding: 'utf8' });
      expect(tsc.status, `tsc found errors:\n${tsc.stdout}${tsc.stderr}`).to.equal(0);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
