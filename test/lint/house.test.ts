/**
 * The house holds: no import runs up the floors, no folders import each other in a circle, and
 * every folder with sources has a floor (see test/lint/house.ts and docs/architecture.md).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { checkHouse, placeOf, relativeImports, type HouseViolation } from './house.js';
import { listSourceFiles, repoPath, repoRoot } from './sources.js';

function describeViolation(violation: HouseViolation): string {
  switch (violation.kind) {
    case 'upward':
      return `${violation.file}:${violation.line} imports ${violation.imported} (${violation.detail}: up the floors)`;
    case 'cycle':
      return `folders import each other in a circle: ${violation.folders.join(' ⇄ ')}`;
    case 'unplaced':
      return `${violation.file} is in a folder that has no floor (add it to test/lint/house.ts and docs/architecture.md)`;
  }
}

describe('lint: the house', () => {
  it('holds for the repository: no upward import, no circle between folders, every folder placed', () => {
    const files = new Map<string, string>();
    for (const file of listSourceFiles(repoRoot)) if (file.endsWith('.ts')) files.set(repoPath(file), readFileSync(file, 'utf8'));
    expect(files.size, 'sources found').to.be.above(100);
    const report = checkHouse(files).map(describeViolation);
    expect(report, `the house is broken:\n${report.join('\n')}\n`).to.deep.equal([]);
  });
});

describe('lint: the house checker', () => {
  it('places files on their floors; any other folder under actors/ is a subsystem', () => {
    expect(placeOf('ground/assert.ts')).to.deep.equal({ floor: 0, folder: 'ground' });
    expect(placeOf('actors/runtime/cell.ts')?.folder).to.equal('actors/runtime');
    expect(placeOf('actors/irq/vector.ts')).to.deep.equal(
      placeOf('actors/vm/frames.ts') && { floor: placeOf('actors/vm/frames.ts')!.floor, folder: 'actors/irq' },
    );
    expect(placeOf('actors/cpu/hosts/worker-host.ts')?.folder).to.equal('actors/cpu');
    expect(placeOf('attic/old.ts')).to.equal(null);
  });

  it('reads relative imports, type-only and dynamic ones included, but not specifiers in comments or strings', () => {
    const source = [
      "import type { Cell } from '../runtime/cell.js';",
      "// import { x } from './commented.js';",
      'const text = "from \'./in-a-string.js\'";',
      "export { y } from './y.js';",
      "const m = await import('./lazy.js');",
      "import { z } from 'xstate';",
    ].join('\n');
    expect(relativeImports(source).map((found) => found.specifier)).to.deep.equal(['../runtime/cell.js', './y.js', './lazy.js']);
  });

  it('fails on an import up the floors', () => {
    const violations = checkHouse(new Map([['ground/pid.ts', "import type { Kernel } from '../boot/kernel.js';"]]));
    expect(violations).to.deep.equal([{ kind: 'upward', file: 'ground/pid.ts', line: 1, imported: 'boot/kernel.ts', detail: 'ground floor → boot' }]);
  });

  it('fails on a circle between folders, on one floor or within a folder tree', () => {
    const violations = checkHouse(
      new Map([
        ['actors/irq/controller.ts', "import { pages } from '../vm/pages.js';"],
        ['actors/vm/pages.ts', "import { raise } from '../irq/controller.js';"],
        ['actors/cpu/node.ts', "import { host } from './hosts/worker-host.js';"],
        ['actors/cpu/hosts/worker-host.ts', "import { node } from '../node.js';"],
      ]),
    );
    expect(violations).to.deep.equal([
      { kind: 'cycle', folders: ['actors/cpu', 'actors/cpu/hosts'] },
      { kind: 'cycle', folders: ['actors/irq', 'actors/vm'] },
    ]);
  });

  it('fails on a folder that has no floor', () => {
    expect(checkHouse(new Map([['attic/old.ts', '']]))).to.deep.equal([{ kind: 'unplaced', file: 'attic/old.ts' }]);
  });

  it('lets a floor import its own folder and the floors below', () => {
    expect(
      checkHouse(
        new Map([
          ['actors/runtime/cell.ts', "import { assert } from '../../ground/assert.js';\nimport { Mailbox } from './mailbox.js';"],
          ['boot/kernel.ts', "import { irq } from '../actors/irq/subsystem.js';\nimport { Cell } from '../actors/runtime/cell.js';"],
        ]),
      ),
    ).to.deep.equal([]);
  });
});
