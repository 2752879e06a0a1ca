/**
 * A known bug, as a scenario module: a lease trusted by clocks that disagree. A keeper on CPU 0
 * grants a 50 ms lease to one client at a time; two clients on CPUs 1 and 2 write to a store while
 * their own clock says their lease holds. When one CPU's clock runs slow, or the keeper's jumps
 * ahead, the keeper grants the lease again while the old holder still writes: the store takes a write
 * of the old lease after the new one's. The fix (`fixed`): fencing tokens. Each lease carries a number
 * that grows, and the store refuses a write whose number is lower than one it has taken.
 *
 *   npx osprey sim dist/examples/sim/lease.sim.js --seeds 200
 *   npx osprey sim dist/examples/sim/lease.sim.js --export fixed --seeds 200
 */
import { type ActorRef, type Ask, fromSetup, type Kernel } from '../../boot/index.js';
import { scenario, type Sim } from '../../sim/index.js';

/** How long a lease lasts, by the keeper's clock and by its holder's, in ms. */
const leaseMs = 50;
/** How often a client writes while it holds the lease, or asks for it when it does not, in ms. */
const tickMs = 5;

type KeeperMsg = Ask<{ readonly type: 'acquire' }, number | null>;

/** Grants the lease when its clock says the last one ran out; each lease gets the next token. */
export const LeaseKeeper = fromSetup<KeeperMsg>(() => {
  let token = 0;
  let expiresAtMs = Number.NEGATIVE_INFINITY;
  return {
    receive(message, ctx) {
      if (ctx.now() < expiresAtMs) return ctx.reply(message, null);
      expiresAtMs = ctx.now() + leaseMs;
      ctx.reply(message, ++token);
    },
  };
}, 'LeaseKeeper');

type StoreMsg = { readonly type: 'write'; readonly token: number } | Ask<{ readonly type: 'written' }, readonly number[]>;

/** Keeps the token of each write it takes; with `fences`, refuses a token lower than one it took. */
const store = (fences: boolean) =>
  fromSetup<StoreMsg>(
    () => {
      const written: number[] = [];
      return {
        receive(message, ctx) {
          if (message.type === 'written') return ctx.reply(message, [...written]);
          if (fences && message.token < (written.at(-1) ?? 0)) return;
          written.push(message.token);
        },
      };
    },
    fences ? 'FencedStore' : 'Store',
  );

type ClientMsg =
  | { readonly type: 'start'; readonly keeper: ActorRef<KeeperMsg>; readonly store: ActorRef<StoreMsg> }
  | { readonly type: 'tick' }
  | { readonly type: 'stop' };

/**
 * Writes every 5 ms while its clock says its lease holds, counted from when it asked for it (the safe
 * end: the keeper granted it no earlier); asks for the lease again once it ran out.
 */
export const LeaseClient = fromSetup<ClientMsg>(() => {
  let peers: { keeper: ActorRef<KeeperMsg>; store: ActorRef<StoreMsg> } | null = null;
  let lease: { token: number; untilMs: number } | null = null;
  let asking = false;
  return {
    receive(message, ctx) {
      if (message.type === 'start') peers = { keeper: message.keeper, store: message.store };
      if (message.type === 'stop') {
        ctx.cancelTimer('tick');
        peers = null;
        return;
      }
      if (peers === null) return;
      ctx.startTimer('tick', tickMs, { type: 'tick' });
      if (lease !== null && ctx.now() < lease.untilMs) {
        peers.store.tell({ type: 'write', token: lease.token });
        return;
      }
      lease = null;
      if (asking) return;
      asking = true;
      const askedAtMs = ctx.now();
      peers.keeper.ask({ type: 'acquire' }, { deadlineMs: 100 }).then(
        (token) => {
          asking = false;
          if (token !== null) lease = { token, untilMs: askedAtMs + leaseMs };
        },
        () => {
          asking = false;
        },
      );
    },
  };
}, 'LeaseClient');

interface Leases {
  readonly store: ActorRef<StoreMsg>;
  readonly clients: readonly ActorRef<ClientMsg>[];
}

const leases = (fences: boolean) =>
  scenario({
    name: fences ? 'a lease with fencing tokens' : 'a lease trusted by clocks',
    boot: { cpus: 3, modules: [new URL(import.meta.url)] },
    async setup(kernel: Kernel): Promise<Leases> {
      const keeper = kernel.spawn(LeaseKeeper);
      const writes = kernel.spawn(store(fences));
      const clients = await Promise.all([1, 2].map((cpu) => kernel.spawned(kernel.spawn(LeaseClient, { cpu }))));
      for (const client of clients) client.tell({ type: 'start', keeper, store: writes });
      return { store: writes, clients };
    },
    async workload(_kernel: Kernel, sim: Sim, { clients }: Leases) {
      await sim.sleep(400);
      for (const client of clients) client.tell({ type: 'stop' });
      // Writes still on their way arrive before the check.
      await sim.sleep(10);
    },
    invariants: {
      'no write of a lease follows a later lease': async (_kernel: Kernel, _sim: Sim, { store: writes }: Leases) => {
        const tokens = await writes.ask({ type: 'written' });
        return tokens.every((token, at) => at === 0 || token >= tokens[at - 1]!);
      },
      'both clients wrote': async (_kernel: Kernel, _sim: Sim, { store: writes }: Leases) => new Set(await writes.ask({ type: 'written' })).size >= 2,
    },
    faults: { clocks: { driftMax: 0.2, jumpMsMax: 40 }, windowMs: 400 },
  });

export default leases(false);
export const fixed = leases(true);
