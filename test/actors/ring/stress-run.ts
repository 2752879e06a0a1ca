/**
 * Main-thread side of the threaded ring tests: starts stress-worker.js jobs and collects results.
 */
import { Worker } from 'node:worker_threads';
import type { StressJob, StressResult } from './stress-worker.js';

/** Runs one job in a fresh worker; resolves with its result (rejects if the worker crashes). */
export function runWorker(job: StressJob): Promise<StressResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./stress-worker.js', import.meta.url), { workerData: job });
    let result: StressResult | null = null;
    worker.once('message', (message: StressResult) => (result = message));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result !== null) resolve(result);
      else reject(new Error(`${job.role} worker exited with code ${code} and no result`));
    });
  });
}
