/**
 * The main module of a worker CPU (the kernel starts workers on it): runs the CPU `workerData` names.
 */
import { runWorkerCpu } from './worker-cpu.js';

await runWorkerCpu();
