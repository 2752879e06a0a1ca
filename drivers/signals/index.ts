/** Signal drivers: the process's SIGINT and SIGTERM, real or simulated. */
export { assertSignalName, type SignalName, type SignalSource } from './signals.js';
export { createRealSignals } from './real.js';
export { createSimulatedSignals, type SimulatedSignals } from './simulated.js';
