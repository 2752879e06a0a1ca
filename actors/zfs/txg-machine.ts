/**
 * The states of a pool's transaction groups, as an xstate v5 machine: states and transitions only.
 * The pool steps it with xstate's pure `transition` as a commit goes (pool.ts).
 *
 * - `open`: changes go into the open group.
 * - `quiescing`: a commit was asked for (its interval passed, the dirty data passed its bound, or
 *   an fsync or export asked): the operations under way finish, and new ones wait.
 * - `syncing`: the group is written (blocks, a flush, the uberblock, a flush).
 * - `suspended`: a sync failed part way; the pool takes no more changes until it is imported again,
 *   which finds the last group committed (ZFS suspends a pool the same way).
 *
 * ZFS keeps three groups at once (one open while another quiesces and a third syncs); this pool has
 * one, so changes wait while a group syncs.
 *
 * @example
 * ```ts
 * const machine = txgMachine();
 * const [next] = transition(machine, machine.resolveState({ value: 'open' }), { type: 'txg.commit' });
 * next.value; // 'quiescing'
 * ```
 */
import { definedOnFirstCall, xstate } from '../runtime/lazy-packages.js';

export type TxgState = 'open' | 'quiescing' | 'syncing' | 'suspended';

export type TxgEvent =
  /** A commit is asked for. */
  | { readonly type: 'txg.commit' }
  /** The operations under way have finished. */
  | { readonly type: 'txg.quiesced' }
  /** The group is committed. */
  | { readonly type: 'txg.synced' }
  /** Writing the group failed. */
  | { readonly type: 'txg.failed' };

/** One of each event, for exhaustive checks. */
export const txgEvents: readonly TxgEvent[] = [{ type: 'txg.commit' }, { type: 'txg.quiesced' }, { type: 'txg.synced' }, { type: 'txg.failed' }];

/** The machine's id, as its steps are traced. */
export const txgMachineId = 'zfsTxg';

export type TxgMachine = ReturnType<typeof defineTxgMachine>;

export const txgMachine: () => TxgMachine = definedOnFirstCall(defineTxgMachine);

function defineTxgMachine() {
  const { setup } = xstate();
  return setup({ types: {} as { events: TxgEvent } }).createMachine({
    id: txgMachineId,
    initial: 'open',
    states: {
      open: { on: { 'txg.commit': 'quiescing' } },
      quiescing: { on: { 'txg.quiesced': 'syncing' } },
      syncing: { on: { 'txg.synced': 'open', 'txg.failed': 'suspended' } },
      suspended: { type: 'final' },
    },
  });
}
