/**
 * A real kernel that shuts down gracefully on SIGTERM, run as a child process by sigterm.test.ts.
 *
 * Protocol on stdout, one line each: `ready` once the route is in place; `signal SIGTERM` from the
 * interrupt handler; `ticker stopped: shutdown` from an actor's `stopped` hook during the graceful
 * shutdown; `kernel stopped` when the shutdown is complete. Nothing else keeps the process alive
 * (the ticker's kernel timer is cancelled as it stops, the signal listeners are detached by the
 * interrupt controller), so it then exits with code 0 on its own.
 */
import { shutdownOnSignals } from '../../../actors/irq/index.js';
import { fromSetup, Kernel } from '../../../boot/index.js';
import { createRealSignals } from '../../../drivers/signals/index.js';

type Tick = { readonly type: 'tick' };

const say = (line: string): void => void process.stdout.write(`${line}\n`);

const kernel = await Kernel.boot();
// The failure stream completes when the shutdown is done: the script's "kernel is down" hook.
void kernel.whenStopped.then(() => say('kernel stopped'));
kernel.spawn(
  fromSetup<Tick>(() => ({
    started: (ctx) => ctx.startTimer('tick', 1_000, { type: 'tick' }),
    receive: (_tick, ctx) => ctx.startTimer('tick', 1_000, { type: 'tick' }),
    stopped: (_ctx, reason) => say(`ticker stopped: ${reason}`),
  })),
  { name: 'ticker' },
);
await shutdownOnSignals(kernel, createRealSignals(), { onSignal: (signal) => say(`signal ${signal.name}`) });
say('ready');
