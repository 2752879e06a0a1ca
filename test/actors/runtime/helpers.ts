import { Kernel } from '../../../boot/index.js';

export { collectDeadLetters, collectEvents, collectFailures, settle, shutdown } from '../../helpers/kernel.js';

/** A simulated kernel for tests: virtual time, seed 1 unless given. */
export async function bootSimulated(
  seed = 1,
  options: { mailboxCapacity?: number; askDeadlineMs?: number; scheduler?: 'fair' | 'fifo' } = {},
): Promise<Kernel> {
  return Kernel.boot({ mode: 'simulated', seed, ...options });
}

/** Settles a promise that is expected to reject and returns the error. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}
