/**
 * The packages the runtime loads on first use rather than at import: xstate when a machine is first
 * defined or run (the kernel's machines are `definedOnFirstCall`), rxjs when a stream is first
 * asked for. A one-CPU kernel whose supervisors never
 * restart anything loads neither, and each worker CPU starts some 35 ms sooner without xstate
 * (docs/measured-limits.md §3g).
 *
 * `require` gives the same instance as `import`: Node resolves `import 'xstate'` and
 * `import 'rxjs'` to ES wrappers around the CommonJS builds that `require` loads, so the classes
 * here (xstate's `StateMachine` and `Actor`, rxjs's `Observable`) are the ones users import.
 *
 * @example
 * ```ts
 * const { setup } = xstate();
 * const toggle = setup({}).createMachine({ initial: 'off', states: { off: {}, on: {} } });
 * ```
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

let xstateModule: typeof import('xstate') | null = null;
let rxjsModule: typeof import('rxjs') | null = null;

/** xstate, loaded on first use. */
export function xstate(): typeof import('xstate') {
  return (xstateModule ??= require('xstate') as typeof import('xstate'));
}

/** rxjs, loaded on first use. */
export function rxjs(): typeof import('rxjs') {
  return (rxjsModule ??= require('rxjs') as typeof import('rxjs'));
}

/**
 * A function that makes its value on its first call and returns the same one after: the kernel's
 * machines are exported this way, so defining them (and loading xstate) waits for their first use.
 */
export function definedOnFirstCall<T>(define: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = define();
      made = true;
    }
    return value as T;
  };
}
