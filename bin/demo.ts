/**
 * `npm start`: boots a real kernel on every CPU of the machine (OSPREY_CPUS=n to choose), runs a
 * small supervised service, asks an actor on the last CPU (a worker thread), crashes one of the
 * service's actors on purpose, shows the supervisor restarting it, hands a buffer of virtual memory
 * to the last CPU without copying it, prints the VM's figures and the live tree, and shuts down
 * gracefully.
 */
import { Actor, configure, defaultSubsystems, formatPid, formatStatus, Kernel, supervisor, type ActorContext, type Ask } from '../boot/index.js';
import { virtualMemory } from '../actors/vm/subsystem.js';
import { Squarer, Summer } from './demo-actors.js';

type StoreMsg =
  | { readonly type: 'put'; readonly key: string; readonly value: number }
  | Ask<{ readonly type: 'get'; readonly key: string }, number | undefined>
  | { readonly type: 'corrupt' };

/** A key-value store that crashes on a corrupt command; its supervisor restarts it empty. */
class Store extends Actor<StoreMsg> {
  private readonly data = new Map<string, number>();
  receive(msg: StoreMsg, ctx: ActorContext<StoreMsg>): void {
    switch (msg.type) {
      case 'put':
        this.data.set(msg.key, msg.value);
        break;
      case 'get':
        ctx.reply(msg, this.data.get(msg.key));
        break;
      case 'corrupt':
        throw new Error('store invariant broken: corrupt command');
    }
  }
}

type TickerMsg = { readonly type: 'tick' };

/** Puts a counter into the store every 20 ms of the kernel's clock. */
class Ticker extends Actor<TickerMsg> {
  private ticks = 0;
  started(ctx: ActorContext<TickerMsg>): void {
    ctx.startTimer('tick', 20, { type: 'tick' });
  }
  receive(_msg: TickerMsg, ctx: ActorContext<TickerMsg>): void {
    this.ticks++;
    ctx.lookup<StoreMsg>('store')?.tell({ type: 'put', key: 'ticks', value: this.ticks });
    ctx.startTimer('tick', 20, { type: 'tick' });
  }
}

function sleep(kernel: Kernel, ms: number): Promise<void> {
  return new Promise((resolve) => kernel.clock.setTimer(ms, resolve));
}

const cpus = process.env.OSPREY_CPUS === undefined ? undefined : Number(process.env.OSPREY_CPUS);
// Behaviours that may run on other CPUs live in boot modules, which every CPU imports.
const kernel = await Kernel.boot({
  modules: [new URL('./demo-actors.js', import.meta.url)],
  subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 64 << 20 })],
  ...(cpus !== undefined ? { cpus } : {}),
});
console.log(
  `osprey: kernel booted (${kernel.mode} mode, seed ${kernel.seed}, ${kernel.cpus} cpu(s): the main thread${kernel.cpus > 1 ? ` and ${kernel.cpus - 1} worker thread(s)` : ''})`,
);
kernel.events.subscribe((event) => {
  if (event.kind === 'fault') console.log(`  event #${event.id}: fault in ${formatPid(event.pid)} while handling '${event.messageType}': ${event.error}`);
  if (event.kind === 'restart') console.log(`  event #${event.id} (caused by #${event.cause}): restart of ${formatPid(event.pid)}, attempt ${event.attempt}`);
});

kernel.spawn(
  supervisor({
    strategy: 'rest-for-one',
    restartsMax: 3,
    restartWindowMs: 5_000,
    children: [
      { id: 'store', start: Store, options: { name: 'store' } },
      { id: 'ticker', start: Ticker, options: { name: 'ticker' } },
    ],
  }),
  { name: 'service' },
);

const squarer = kernel.spawn(Squarer, { cpu: kernel.cpus - 1 });
const squared = await squarer.ask({ type: 'square', n: 12 });
console.log(`12² = ${squared}, computed by ${formatPid(squarer.pid)} on cpu ${kernel.cpus - 1}`);

const store = kernel.lookup<StoreMsg>('store')!;
await sleep(kernel, 100);
console.log(`ticks stored after ~100 ms: ${await store.ask({ type: 'get', key: 'ticks' })}`);

console.log('crashing the store on purpose (rest-for-one restarts the store, then the ticker)...');
store.tell({ type: 'corrupt' });
await sleep(kernel, 50);
console.log(`ticks stored after the restart: ${await store.ask({ type: 'get', key: 'ticks' })} (the same ref works: restarts happen in place)`);

// Virtual memory every CPU shares: 4 MiB mapped here, filled, and handed to an actor on the last CPU by moving its mapping.
const vm = kernel.subsystem(virtualMemory);
const buffer = await vm.mmap(4 << 20);
for (let at = buffer; at < buffer + (4 << 20); at += 4096) vm.memory.writeU8(at, 1);
const summer = await kernel.spawned(kernel.spawn(Summer, { cpu: kernel.cpus - 1 }));
const moved = await vm.mremap(buffer, 4 << 20);
console.log(
  `4 MiB handed to ${formatPid(summer.pid)} on cpu ${kernel.cpus - 1} without a copy: it read ${await summer.ask({ type: 'sum', address: moved, length: 4 << 20 })} pages`,
);
const stats = vm.stats();
console.log(
  `vm: ${stats.physicalBytes >> 20} MiB physical, ${(stats.freeBytes / 2 ** 20).toFixed(1)} MiB free, ${stats.mappings} mapping(s), faults ${stats.faults4k} × 4 KiB and ${stats.faults2m} × 2 MiB, pressure ${stats.pressure?.state}`,
);

// Every CPU's tree: the squarer lives on the last one.
for (const [cpu, status] of (await kernel.cpuStatuses()).entries()) console.log(`cpu ${cpu}: ${formatStatus(status)}`);
await kernel.shutdown();
console.log('osprey: kernel shut down gracefully');
