/**
 * The states of a pool's transaction groups, as an xstate v5 machine: states and transitions only.
 * The pool steps it with xstate's pure `transition` as a commit goes (pool.ts).
 *
 * - `open`: changes go into the open group.
 * - `quiescing`: a commit was asked for (its interval passed, the dirty data passed its bound, or
 *   an fsync or export asked): the group takes no more changes, and its blocks are written while
 *   the operations after it wait.
 * - `syncing`: the sync actor flushes the devices, writes the group's uberblock and flushes again;
 *   meanwhile the next group is open and takes changes (ZFS's open and syncing groups).
 * - `suspended`: writing the group failed part way; the pool takes no more changes until it is
 *   imported again, which finds the last group committed (ZFS suspends a pool the same way).
 *
 * ZFS keeps three groups at once (open, quiescing, syncing); this pool keeps two: the open group
 * and one syncing, and writes the blocks of the next only once that one is durable.
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
  /** The group's blocks are written. */
  | { readonly type: 'txg.quiesced' }
  /** The group's uberblock is durable: it is committed. */
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
      quiescing: { on: { 'txg.quiesced': 'syncing', 'txg.failed': 'suspended' } },
      syncing: { on: { 'txg.synced': 'open', 'txg.failed': 'suspended' } },
      suspended: { type: 'final' },
    },
  });
}
