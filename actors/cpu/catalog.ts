/**
 * Behaviours that can start on any CPU. A worker thread cannot receive a class or a closure, so an
 * actor placed on another CPU is named by where its behaviour is exported: (boot module, export
 * name). Every CPU imports the same boot modules, in the same order, before it runs anything.
 *
 * User code stays natural: import the behaviour as usual and spawn it with `{ cpu }`; the kernel
 * finds its export by identity.
 *
 * @example
 * ```ts
 * // counter.ts exports `Counter`
 * import { Counter } from './counter.js';
 * const kernel = await Kernel.boot({ cpus: 2, modules: [new URL('./counter.js', import.meta.url)] });
 * const counter = kernel.spawn(Counter, { cpu: 1 });
 * ```
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyBehavior } from '../runtime/behavior.js';

/** Where a behaviour is exported. */
export interface BehaviorAddress {
  readonly module: number;
  readonly exportName: string;
}

/** A module list as boot options take it: absolute file paths, `file:` URLs or URL objects. */
export type ModuleList = readonly (string | URL)[];

export class BehaviorCatalog {
  private readonly addresses = new Map<unknown, BehaviorAddress>();

  private constructor(
    /** The modules as URLs, in boot order (what workers import). */
    readonly moduleUrls: readonly string[],
    private readonly exports: readonly Record<string, unknown>[],
  ) {
    exports.forEach((namespace, module) => {
      for (const [exportName, value] of Object.entries(namespace)) {
        // The first export of a value wins, so re-exports do not change its address.
        if (isBehaviorLike(value) && !this.addresses.has(value)) this.addresses.set(value, { module, exportName });
      }
    });
  }

  /** Imports `modules` (in order) and indexes their exported behaviours. */
  static async load(modules: ModuleList): Promise<BehaviorCatalog> {
    const urls = modules.map(moduleUrlOf);
    const namespaces: Record<string, unknown>[] = [];
    for (const url of urls) namespaces.push((await import(url)) as Record<string, unknown>);
    return new BehaviorCatalog(urls, namespaces);
  }

  static empty(): BehaviorCatalog {
    return new BehaviorCatalog([], []);
  }

  /** Where `behavior` is exported, or undefined if no boot module exports it. */
  addressOf(behavior: AnyBehavior): BehaviorAddress | undefined {
    return this.addresses.get(behavior);
  }

  /** The behaviour exported as `exportName` by boot module `module`, if there is one. */
  behaviorAt(module: number, exportName: string): AnyBehavior | undefined {
    const value = this.exports[module]?.[exportName];
    return isBehaviorLike(value) ? (value as AnyBehavior) : undefined;
  }
}

/** A class (constructor) or a behaviour factory. */
function isBehaviorLike(value: unknown): boolean {
  if (typeof value === 'function') return value.prototype !== undefined;
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'factory';
}

/** Normalises a module reference to a URL string that every thread resolves the same way. */
export function moduleUrlOf(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (module.startsWith('file:') || module.startsWith('data:')) return new URL(module).href;
  if (isAbsolute(module)) return pathToFileURL(module).href;
  throw new TypeError(
    `boot module '${module}' must be an absolute path or URL: worker threads resolve relative specifiers differently; pass new URL('${module}', import.meta.url)`,
  );
}
