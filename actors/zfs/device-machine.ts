/**
 * The states of one device of a pool, as `zpool status` names them, as an xstate v5 machine: states
 * and transitions only. The device's actor counts the errors and steps the machine with xstate's
 * pure `transition` when a count passes its bound or the device or its user does something.
 *
 * - `unavailable` (UNAVAIL): it could not be opened; a device starts here until it is.
 * - `online` (ONLINE): it works.
 * - `degraded` (DEGRADED): too many checksum errors; it is still read and written, and reads it
 *   serves are verified as always, but something is wrong with it.
 * - `faulted` (FAULTED): too many I/O errors; it is no longer used.
 * - `offline` (OFFLINE): its user took it offline (`osprey pool offline`).
 * - `removed` (REMOVED): it went away while the pool ran.
 *
 * @example
 * ```ts
 * const machine = deviceMachine();
 * const [next] = transition(machine, machine.resolveState({ value: 'online' }), { type: 'device.io-errors' });
 * next.value; // 'faulted'
 * ```
 */
import { definedOnFirstCall, xstate } from '../runtime/lazy-packages.js';

export type DeviceState = 'unavailable' | 'online' | 'degraded' | 'faulted' | 'offline' | 'removed';

export type DeviceEvent =
  /** It opened: at import, when its user brings it online or clears it, or when it came back. */
  | { readonly type: 'device.opened' }
  /** An open (or reopen) of it failed. */
  | { readonly type: 'device.open-failed' }
  /** Its checksum errors passed their bound. */
  | { readonly type: 'device.checksum-errors' }
  /** Its read or write errors passed their bound. */
  | { readonly type: 'device.io-errors' }
  /** Its user cleared its errors (`osprey pool clear`): a degraded or faulted device is in use again. */
  | { readonly type: 'device.cleared' }
  /** Its user took it offline. */
  | { readonly type: 'device.offline' }
  /** It went away. */
  | { readonly type: 'device.removed' };

/** One of each event, for exhaustive checks. */
export const deviceEvents: readonly DeviceEvent[] = [
  { type: 'device.opened' },
  { type: 'device.open-failed' },
  { type: 'device.checksum-errors' },
  { type: 'device.io-errors' },
  { type: 'device.cleared' },
  { type: 'device.offline' },
  { type: 'device.removed' },
];

/** Whether the pool reads and writes a device in `state`. */
export function deviceInUse(state: DeviceState): boolean {
  return state === 'online' || state === 'degraded';
}

/** The machine's id, as its steps are traced. */
export const deviceMachineId = 'zfsDevice';

export type DeviceMachine = ReturnType<typeof defineDeviceMachine>;

export const deviceMachine: () => DeviceMachine = definedOnFirstCall(defineDeviceMachine);

function defineDeviceMachine() {
  const { setup } = xstate();
  return setup({ types: {} as { events: DeviceEvent } }).createMachine({
    id: deviceMachineId,
    initial: 'unavailable',
    states: {
      unavailable: {
        on: { 'device.opened': 'online', 'device.offline': 'offline' },
      },
      online: {
        on: {
          'device.checksum-errors': 'degraded',
          'device.io-errors': 'faulted',
          'device.open-failed': 'unavailable',
          'device.offline': 'offline',
          'device.removed': 'removed',
        },
      },
      degraded: {
        on: {
          'device.io-errors': 'faulted',
          'device.cleared': 'online',
          'device.open-failed': 'unavailable',
          'device.offline': 'offline',
          'device.removed': 'removed',
        },
      },
      faulted: {
        on: {
          'device.opened': 'online',
          'device.cleared': 'online',
          'device.open-failed': 'unavailable',
          'device.offline': 'offline',
          'device.removed': 'removed',
        },
      },
      offline: {
        on: { 'device.opened': 'online', 'device.open-failed': 'unavailable' },
      },
      removed: {
        on: { 'device.opened': 'online', 'device.open-failed': 'unavailable', 'device.offline': 'offline' },
      },
    },
  });
}
