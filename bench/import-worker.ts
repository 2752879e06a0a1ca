/**
 * A worker that loads what a worker CPU's boot starts with, the package's bundle and a boot module
 * written against it, then answers one message: startup.bench.ts's floor for a two-CPU boot, the
 * part of it Node's worker start-up and ES-module loading take before the runtime does anything.
 */
import { parentPort } from 'node:worker_threads';

// Through a variable, as in package-echo.ts: tsc compiles this file before the bundle exists.
const osprey: string = 'osprey';
await import(osprey);
await import('./package-echo.js');
parentPort!.once('message', (value: number) => parentPort!.postMessage(value + 1));
