/**
 * Interrupts as handler-actor wakeups (OSv's interrupt threads): a controller of numbered vectors,
 * each with a bounded ring and an interrupt line, whose ISR wakes the vector's handler actor once
 * per burst; the timer and signal devices that raise on vectors.
 */
export { interrupts } from './subsystem.js';
export { InterruptController, type VectorSpec } from './controller.js';
export { interruptHandler, isInterruptHandler, type InterruptHandlerBehavior, type InterruptHandlerOptions, type OnEvents } from './handler.js';
export { lineMachine, type LineMachine } from './machine.js';
export { Line, LineInput, stepLine, type LineState, type LineStep } from './line.js';
export { VectorRing } from './vector-ring.js';
export type { VectorNumber } from './vector.js';
export { timerInterrupts, type TimerInterruptOptions, type TimerSource } from './timer-source.js';
export { shutdownOnSignals, signalInterrupts, type ShutdownOnSignalsOptions, type SignalInterruptOptions, type SignalRoute } from './signal-source.js';
export * as irqLimits from './limits.js';
