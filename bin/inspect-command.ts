/**
 * `osprey inspect`: boots a small live system and serves its inspector (osprey/inspector), until
 * Ctrl-C. The system: a crossing (a supervisor) with a traffic light (an xstate machine on timers)
 * and a flaky sensor that crashes now and then and is restarted, and a slow logger whose mailbox
 * fills while a feeder outruns it. Something to look at: states that change, restarts that count
 * up, a mailbox that is deep.
 *
 * @example
 * ```sh
 * npx osprey inspect --port 7777      # inspector: http://127.0.0.1:7777/?token=…
 * ```
 */
import type { Command } from 'commander';
import { createMachine } from 'xstate';
import { type ActorRef, fromMachine, fromSetup, Kernel } from '../boot/index.js';
import { inspect } from '../inspector/index.js';
import { supervisor, type SupervisorMsg } from '../supervisors/index.js';

interface InspectOptions {
  readonly port: number;
  readonly host: string;
}

export const trafficLight = createMachine({
  id: 'light',
  initial: 'green',
  states: {
    green: { after: { 3000: 'yellow' } },
    yellow: { after: { 1000: 'red' } },
    red: { after: { 2000: 'green' } },
  },
});

/** Crashes on one reading in five, as a flaky device driver would. */
const FlakySensor = fromSetup<{ readonly type: 'read' }>(
  () => ({
    started(ctx) {
      ctx.startTimer('read', 700, { type: 'read' });
    },
    receive(_message, ctx) {
      if (ctx.random.next() < 0.2) throw new Error('the sensor gave a reading out of range');
      ctx.startTimer('read', 700, { type: 'read' });
    },
  }),
  'FlakySensor',
);

/** Handles one line per 20 ms, however many come. */
const SlowLogger = fromSetup<{ readonly type: 'line' } | { readonly type: 'wrote' }>(() => {
  let writing = false;
  let waiting = 0;
  return {
    receive(message, ctx) {
      if (message.type === 'line') waiting++;
      else writing = false;
      if (!writing && waiting > 0) {
        waiting--;
        writing = true;
        ctx.startTimer('write', 20, { type: 'wrote' });
      }
    },
  };
}, 'SlowLogger');

/** Sends the logger a burst of lines every second. */
const Feeder = fromSetup<{ readonly type: 'tick'; readonly logger: ActorRef<{ readonly type: 'line' }> }>(
  () => ({
    receive(message, ctx) {
      for (let i = 0; i < 60; i++) message.logger.tell({ type: 'line' });
      ctx.startTimer('tick', 1_000, message);
    },
  }),
  'Feeder',
);

export function addInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('boot a small live system and serve its inspector (a page in the browser) until Ctrl-C')
    .option('--port <n>', 'the port to listen on (0: any free one)', (value) => Number.parseInt(value, 10), 0)
    .option('--host <address>', 'the address to listen on', '127.0.0.1')
    .action(async (options: InspectOptions) => {
      const kernel = await Kernel.boot();
      kernel.spawn<SupervisorMsg>(
        supervisor({
          restartsMax: 1_000,
          restartWindowMs: 1_000,
          children: [
            { id: 'light', start: fromMachine(trafficLight), options: { name: 'light' } },
            { id: 'sensor', start: FlakySensor, options: { name: 'sensor' } },
          ],
        }),
        { name: 'crossing' },
      );
      const logger = kernel.spawn(SlowLogger, { name: 'logger' });
      kernel.spawn(Feeder, { name: 'feeder' }).tell({ type: 'tick', logger });
      const inspector = await inspect(kernel, { port: options.port, host: options.host });
      console.log(`inspector: ${inspector.url}`);
      console.log('Ctrl-C to stop');
      process.once('SIGINT', () => {
        void inspector.close().then(() => kernel.shutdown());
      });
    });
}
