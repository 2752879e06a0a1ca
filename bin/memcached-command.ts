/**
 * `osprey memcached`: a memcached server on the kernel's net channels, its items in the kernel's
 * virtual memory (apps/memcached). Flags are memcached's own; it binds loopback unless `-l` says
 * otherwise, prints where it listens, and stops cleanly on SIGINT or SIGTERM.
 *
 * @example
 * ```sh
 * npx osprey memcached -p 11211 -m 64          # memcached on 127.0.0.1:11211 with 64 MiB for items
 * printf 'set a 0 0 1\r\nx\r\nget a\r\n' | nc -q1 127.0.0.1 11211
 * ```
 */
import { type Command, InvalidArgumentError } from 'commander';
import { network } from '../actors/net/subsystem.js';
import { virtualMemory } from '../actors/vm/subsystem.js';
import { registerItemStoreShrinker } from '../apps/memcached/store/shrinker.js';
import { memcachedVersion, serveMemcached } from '../apps/memcached/server.js';
import { memcachedWorkerModule } from '../apps/memcached/worker.js';
import { cpusMax } from '../ground/pid.js';
import { itemBytesMaxLimit } from '../apps/memcached/store/limits-slabs.js';
import { SharedItemStore } from '../apps/memcached/store/shared-item-store.js';
import { shutdownOnSignals } from '../actors/irq/signal-source.js';
import { configure, defaultSubsystems, Kernel } from '../boot/index.js';
import { createRealNic, flowsMaxLimit } from '../drivers/nic/index.js';
import { createRealSignals } from '../drivers/signals/real.js';
import { parseSize } from './pool-command.js';

interface MemcachedFlags {
  readonly port: number;
  readonly listen: string;
  readonly memoryLimit: number;
  readonly connLimit: number;
  readonly threads: number;
  readonly maxItemSize: number;
  readonly verbose: boolean;
}

/** Physical memory the kernel gets beyond the item memory: the VM's page tables and other users, in bytes. */
const physicalHeadroomBytes = 32 << 20;
/** The VM hands out physical memory in whole 2 MiB pages. */
const physicalGrainBytes = 2 << 20;

function integerIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) throw new InvalidArgumentError(`'${text}' is not an integer in [${min}, ${max}]`);
    return value;
  };
}

/** `-I`: a size parseSize reads, refused here past what the store takes, rather than as a stack trace once the kernel is up. */
function itemSize(text: string): number {
  const bytes = parseSize(text);
  if (!(bytes > 0 && bytes <= itemBytesMaxLimit)) throw new InvalidArgumentError(`'${text}' is not a size in [1, ${itemBytesMaxLimit}] bytes`);
  return bytes;
}

export function addMemcachedCommand(program: Command): void {
  program
    .command('memcached')
    .description('a memcached server (text and meta protocol) on net channels, its items in virtual memory')
    .option('-p, --port <num>', 'TCP port to listen on (0: any free port)', integerIn(0, 65_535), 11211)
    .option('-l, --listen <addr>', 'interface to listen on', '127.0.0.1')
    .option('-m, --memory-limit <num>', 'item memory in megabytes', integerIn(1, 3072), 64)
    .option('-c, --conn-limit <num>', 'max simultaneous connections', integerIn(1, flowsMaxLimit), 1024)
    .option('-t, --threads <num>', 'CPUs serving connections (1: the CPU of the sockets; N > 1: N worker CPUs beside it)', integerIn(1, cpusMax - 1), 1)
    .option('-I, --max-item-size <size>', 'largest item, key and value together (1m, 512k, bytes; at most 64m)', itemSize, 1 << 20)
    .option('-v, --verbose', 'print each connection opened and closed', false)
    .action(async (flags: MemcachedFlags) => {
      // A multiplication, not `<< 20`: a shift wraps to a negative 32-bit number from -m 2048 on.
      const itemBytes = flags.memoryLimit * 2 ** 20;
      const physicalBytes = Math.ceil((itemBytes + physicalHeadroomBytes) / physicalGrainBytes) * physicalGrainBytes;
      // -t N > 1: N worker CPUs serve the connections, beside CPU 0, which runs the sockets.
      const kernel = await Kernel.boot({
        cpus: flags.threads === 1 ? 1 : flags.threads + 1,
        modules: flags.threads === 1 ? [] : [memcachedWorkerModule],
        subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes }), network],
      });
      const vm = kernel.subsystem(virtualMemory);
      const store = await SharedItemStore.create(vm, { limitBytes: itemBytes, itemBytesMax: flags.maxItemSize });
      await registerItemStoreShrinker(vm, store, (behavior) => kernel.spawn(behavior));
      const nic = await kernel.subsystem(network).attach(createRealNic({ flowsMax: flags.connLimit }), { name: 'eth0' });
      const server = await serveMemcached(kernel, nic, {
        store,
        host: flags.listen,
        port: flags.port,
        unixTimeAtStartS: Date.now() / 1000,
        pid: process.pid,
        threads: flags.threads,
        ...(flags.verbose
          ? {
              onConnection: (event, remote) =>
                console.log(`${event === 'opened' ? 'new connection from' : 'closed connection from'} ${remote.address}:${remote.port}`),
            }
          : {}),
      });
      await shutdownOnSignals(kernel, createRealSignals(), { onSignal: (signal) => console.log(`osprey memcached: ${signal.name}, stopping`) });
      console.log(
        `osprey memcached ${memcachedVersion} listening on ${server.host}:${server.port} (-m ${flags.memoryLimit}, -c ${flags.connLimit}, -I ${flags.maxItemSize}, -t ${flags.threads})`,
      );
      await kernel.whenStopped;
      console.log('osprey memcached: stopped');
      // Exit here rather than when the event loop runs dry. Once, in a loaded parallel test run,
      // Node's teardown after the loop ended spun at full CPU in libuv's handle cleanup (perf:
      // FreeEnvironment → CleanupHandles → uv_run) with no syscall and no JavaScript left, a
      // request of a reset socket apparently never returned; `process.exit` skips that teardown.
      process.exit(0);
    });
}
