/**
 * The house's rules as data, and the checker that holds the sources to them (docs/architecture.md
 * explains the floors). A file may import its own floor's folders and any floor below; importing
 * upward is refused, and so is any circle of imports between folders, on one floor or across.
 *
 * The checker reads import specifiers from source text (type-only imports count: a type that runs
 * up the layers ties the floors together as much as a value does).
 */
import { moduleSpecifiers } from './forbidden-calls.js';

/** One floor: the folders on it, bottom floor first. `actors/*` stands for every other folder under actors/. */
export interface Floor {
  readonly name: string;
  readonly folders: readonly string[];
}

/** The floors of the house, bottom first. A folder holding sources must be on exactly one. */
export const floors: readonly Floor[] = [
  { name: 'ground floor', folders: ['ground'] },
  { name: 'protocols', folders: ['protocols'] },
  { name: 'drivers', folders: ['drivers'] },
  { name: 'rings', folders: ['actors/ring'] },
  { name: 'runtime core', folders: ['actors/runtime'] },
  { name: 'supervision', folders: ['supervisors'] },
  { name: 'scheduler', folders: ['actors/sched'] },
  { name: 'CPUs', folders: ['actors/cpu'] },
  { name: 'plug-in contract', folders: ['actors/plugin'] },
  { name: 'subsystems', folders: ['actors/*'] },
  { name: 'boot', folders: ['boot'] },
  { name: 'programs', folders: ['apps', 'sim', 'inspector'] },
  { name: 'commands and examples', folders: ['bin', 'examples'] },
  { name: 'benchmarks, tests and the build', folders: ['bench', 'test', 'build'] },
];

/** Where a file lives in the house: its floor's index (0 at the bottom) and its top folder there. */
export interface Place {
  readonly floor: number;
  /** The floor folder the file is under, e.g. `actors/cpu` or `actors/irq`. */
  readonly folder: string;
}

/** What breaks the rules. */
export type HouseViolation =
  | { readonly kind: 'upward'; readonly file: string; readonly line: number; readonly imported: string; readonly detail: string }
  | { readonly kind: 'cycle'; readonly folders: readonly string[] }
  | { readonly kind: 'unplaced'; readonly file: string };

/** The place of `path` (relative to the repository, `/`-separated), or null if no floor holds it. */
export function placeOf(path: string): Place | null {
  let wildcard: Place | null = null;
  for (const [floor, { folders }] of floors.entries()) {
    for (const folder of folders) {
      if (folder === 'actors/*') {
        const match = /^actors\/([^/]+)\//.exec(path);
        if (match !== null) wildcard = { floor, folder: `actors/${match[1]!}` };
      } else if (path.startsWith(`${folder}/`)) {
        return { floor, folder };
      }
    }
  }
  return wildcard;
}

/** The relative import specifiers of `source`, with their 1-based lines. */
export function relativeImports(source: string): { readonly specifier: string; readonly line: number }[] {
  return moduleSpecifiers(source)
    .filter(({ specifier }) => specifier.startsWith('.'))
    .map(({ specifier, index }) => ({ specifier, line: source.slice(0, index).split('\n').length }));
}

/**
 * Checks `files` (repository-relative path → source) against the house: every file placed, no
 * import up the floors, no circle between folders. Returns every violation (none: the house holds).
 *
 * @example
 * ```ts
 * checkHouse(new Map([['ground/a.ts', "import { Kernel } from '../boot/kernel.js';"]]));
 * // [{ kind: 'upward', file: 'ground/a.ts', line: 1, imported: 'boot/kernel.ts', detail: 'ground floor → boot' }]
 * ```
 */
export function checkHouse(files: ReadonlyMap<string, string>): HouseViolation[] {
  const violations: HouseViolation[] = [];
  /** Folder → the folders its files import (every directory, not only floor folders). */
  const edges = new Map<string, Set<string>>();
  for (const [file, source] of files) {
    const place = placeOf(file);
    if (place === null) {
      violations.push({ kind: 'unplaced', file });
      continue;
    }
    for (const { specifier, line } of relativeImports(source)) {
      const imported = joinPath(dirOf(file), specifier).replace(/\.js$/, '.ts');
      const target = placeOf(imported);
      if (target === null) continue; // outside the house (a package file): not the house's business
      if (target.floor > place.floor) {
        violations.push({ kind: 'upward', file, line, imported, detail: `${floors[place.floor]!.name} → ${floors[target.floor]!.name}` });
      }
      const from = dirOf(file);
      const to = dirOf(imported);
      if (from !== to) {
        let targets = edges.get(from);
        if (targets === undefined) edges.set(from, (targets = new Set()));
        targets.add(to);
      }
    }
  }
  for (const cycle of folderCycles(edges)) violations.push({ kind: 'cycle', folders: cycle });
  return violations;
}

/** The strongly connected components with more than one folder (Tarjan), each sorted. */
function folderCycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (folder: string): void => {
    index.set(folder, next);
    low.set(folder, next);
    next++;
    stack.push(folder);
    onStack.add(folder);
    for (const target of edges.get(folder) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(folder, Math.min(low.get(folder)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(folder, Math.min(low.get(folder)!, index.get(target)!));
      }
    }
    if (low.get(folder) !== index.get(folder)) return;
    const component: string[] = [];
    for (let member = stack.pop()!; ; member = stack.pop()!) {
      onStack.delete(member);
      component.push(member);
      if (member === folder) break;
    }
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const folder of [...edges.keys()].sort()) if (!index.has(folder)) visit(folder);
  return cycles;
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** `base` joined with a relative `specifier`, `/`-separated, `..` resolved. */
function joinPath(base: string, specifier: string): string {
  const parts = base === '' ? [] : base.split('/');
  for (const part of specifier.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.') parts.push(part);
  }
  return parts.join('/');
}
