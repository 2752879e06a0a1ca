import { availableParallelism } from 'node:os';
import { cpusMax } from '../../ground/pid.js';

/** The default CPU count of a real kernel: the machine's available parallelism, at most `cpusMax`. */
export function availableCpus(): number {
  return Math.max(1, Math.min(cpusMax, availableParallelism()));
}
