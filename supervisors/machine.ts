import { definedOnFirstCall, xstate } from '../actors/runtime/lazy-packages.js';
import { type BackoffOptions, backoffDelayMs } from './backoff.js';
import { allowsRestart, type IntensityLimits, restartsInWindow } from './restart-intensity.js';

/** The effects of a supervisor's lifecycle, carried out by the supervisor actor (see supervisor.ts). */
export interface SupervisorEffects {
  performRestart(): void;
  stopAllChildren(): void;
  exitGivingUp(): void;
  stopSelf(): void;
}

export interface SupervisorMachineInput extends IntensityLimits {
  readonly backoff: BackoffOptions | undefined;
  /**
   * Who carries the effects out; none for the machine on its own (its graph checks). In the input,
   * not `provide`d: a provided machine is a new one, and building it cost most of a boot.
   */
  readonly effects?: SupervisorEffects;
}

export interface SupervisorMachineContext extends SupervisorMachineInput {
  readonly restartTimesMs: readonly number[];
  /** Consecutive restarts in the current backoff sequence. */
  readonly backoffAttempt: number;
  readonly lastRestartMs: number;
  /** Delay before the restart being prepared. */
  readonly nextDelayMs: number;
}

/**
 * Events of a supervisor's lifecycle. Time and randomness come in the events (`atMs`, `jitter`), so
 * the machine stays pure and replays exactly.
 */
export type SupervisorMachineEvent =
  | { readonly type: 'child.restart-needed'; readonly atMs: number; readonly jitter: number }
  | { readonly type: 'restart.done' }
  | { readonly type: 'auto-shutdown' }
  | { readonly type: 'children.down' }
  | { readonly type: 'shutdown' };

/** The type of the machine `supervisorMachine()` returns. */
export type SupervisorMachine = ReturnType<typeof defineSupervisorMachine>;

/**
 * A supervisor's lifecycle: `running` until a child needs a restart; `restarting` (after an
 * optional backoff delay) while the strategy's children are stopped and started again; `escalating`
 * when the restart intensity is exceeded (children stop, then the supervisor exits with reason
 * `shutdown`, as OTP's does);
 * `shuttingDown` when a significant child's exit shuts it down. The effects are the actions
 * `performRestart`, `stopAllChildren`, `exitGivingUp` and `stopSelf`, carried out by the supervisor
 * actor (the `effects` of its input).
 *
 * @example
 * ```ts
 * const machine = supervisorMachine(); // defined at the first call, which loads xstate
 * const actor = createActor(machine, { input: { restartsMax: 3, restartWindowMs: 5_000, backoff: undefined } }).start();
 * actor.send({ type: 'child.restart-needed', atMs: 0, jitter: 0.5 });
 * actor.getSnapshot().value; // { restarting: 'working' }
 * ```
 */
export const supervisorMachine: () => SupervisorMachine = definedOnFirstCall(defineSupervisorMachine);

/** Defines the machine; xstate loads here, at the first call of `supervisorMachine()`. */
function defineSupervisorMachine() {
  const { assign, setup } = xstate();
  return setup({
    types: {} as {
      context: SupervisorMachineContext;
      events: SupervisorMachineEvent;
      input: SupervisorMachineInput;
    },
    guards: {
      withinIntensity: ({ context, event }) => event.type === 'child.restart-needed' && allowsRestart(context.restartTimesMs, event.atMs, context),
      hasBackoffDelay: ({ context }) => context.nextDelayMs > 0,
    },
    delays: {
      backoffDelay: ({ context }) => context.nextDelayMs,
    },
    actions: {
      recordRestart: assign(({ context, event }) => {
        if (event.type !== 'child.restart-needed') return {};
        const backoff = context.backoff;
        const resetAfterMs = backoff?.resetAfterMs ?? backoff?.maxDelayMs ?? 0;
        const continues = context.backoffAttempt > 0 && event.atMs - context.lastRestartMs < resetAfterMs;
        const backoffAttempt = continues ? context.backoffAttempt + 1 : 1;
        const nextDelayMs = backoff === undefined ? 0 : backoffDelayMs(backoffAttempt, backoff, event.jitter);
        return {
          restartTimesMs: [...restartsInWindow(context.restartTimesMs, event.atMs, context), event.atMs],
          backoffAttempt,
          // The reset window counts from the restart itself, which happens after the delay.
          lastRestartMs: event.atMs + nextDelayMs,
          nextDelayMs,
        };
      }),
      // Effects, carried out by the supervisor actor that runs the machine (see supervisor.ts).
      performRestart: ({ context }) => context.effects?.performRestart(),
      stopAllChildren: ({ context }) => context.effects?.stopAllChildren(),
      exitGivingUp: ({ context }) => context.effects?.exitGivingUp(),
      stopSelf: ({ context }) => context.effects?.stopSelf(),
    },
  }).createMachine({
    id: 'supervisor',
    context: ({ input }) => ({ ...input, restartTimesMs: [], backoffAttempt: 0, lastRestartMs: 0, nextDelayMs: 0 }),
    initial: 'running',
    states: {
      running: {
        on: {
          'child.restart-needed': [{ guard: 'withinIntensity', target: 'restarting', actions: 'recordRestart' }, { target: 'escalating' }],
          'auto-shutdown': { target: 'shuttingDown' },
          shutdown: { target: 'stopped' },
        },
      },
      restarting: {
        initial: 'deciding',
        states: {
          deciding: {
            always: [{ guard: 'hasBackoffDelay', target: 'backingOff' }, { target: 'working' }],
          },
          backingOff: {
            after: { backoffDelay: { target: 'working' } },
            // Nothing was stopped yet: a significant exit can shut down at once.
            on: { 'auto-shutdown': { target: '#supervisor.shuttingDown' } },
          },
          working: {
            entry: 'performRestart',
            on: { 'restart.done': { target: '#supervisor.running' } },
          },
        },
        on: { shutdown: { target: 'stopped' } },
      },
      escalating: {
        entry: 'stopAllChildren',
        on: { 'children.down': { target: 'failed' }, shutdown: { target: 'stopped' } },
      },
      shuttingDown: {
        entry: 'stopAllChildren',
        on: { 'children.down': { target: 'done' }, shutdown: { target: 'stopped' } },
      },
      failed: { type: 'final', entry: 'exitGivingUp' },
      done: { type: 'final', entry: 'stopSelf' },
      stopped: { type: 'final' },
    },
  });
}
