import { expect } from 'chai';
import { createServer } from 'node:net';
import { createWebSocketInspector, createWebSocketReceiver, type StatelyInspectionEvent } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { fromMachine, fromSetup, Kernel } from '../../boot/index.js';
import { publishInspection } from '../../inspector/index.js';
import { lightMachine } from '../sim/fixtures/examples.js';

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Waits until `received` holds an event `matches` accepts (at most 5 s). */
async function arrival(received: StatelyInspectionEvent[], matches: (event: StatelyInspectionEvent) => boolean): Promise<StatelyInspectionEvent> {
  for (let waited = 0; waited < 5_000; waited += 20) {
    const found = received.find(matches);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no such event came; got ${JSON.stringify(received)}`);
}

const Idle = fromSetup<{ readonly type: 'poke' }>(() => ({ receive: () => {} }), 'Idle');

describe("inspector: Stately compatibility, through @statelyai/inspect's own inspector, server and receiver", function () {
  this.timeout(30_000);

  it('shows a machine actor as xstate would (its machine, its events, its snapshots), and any other actor through the manual API', async () => {
    const port = await freePort();
    const server = createInspectorServer({ port, autoOpen: false });
    const received: StatelyInspectionEvent[] = [];
    const receiver = createWebSocketReceiver({ server: `ws://localhost:${port}` });
    const receiving = receiver.subscribe((event) => void received.push(event));
    const stately = createWebSocketInspector({ url: `ws://localhost:${port}` });
    const kernel = await Kernel.boot();
    const publishing = publishInspection(kernel, stately);
    try {
      const light = kernel.spawn(fromMachine(lightMachine), { name: 'light' });
      const idle = kernel.spawn(Idle, { name: 'idle' });
      idle.tell({ type: 'poke' });
      light.tell({ type: 'timer' });
      const actor = (await arrival(received, (event) => event.type === '@xstate.actor' && event.name === 'light')) as StatelyInspectionEvent & {
        definition?: string;
        sessionId: string;
      };
      expect(actor.sessionId).to.match(/^<0\.\d+\.\d+>$/);
      expect(JSON.parse(actor.definition!).states).to.have.keys('green', 'yellow', 'red', 'flashing');
      await arrival(received, (event) => event.type === '@xstate.event' && event.sessionId === actor.sessionId && event.event.type === 'timer');
      await arrival(
        received,
        (event) => event.type === '@xstate.snapshot' && event.sessionId === actor.sessionId && (event.snapshot as { value?: unknown }).value === 'yellow',
      );
      const plain = (await arrival(received, (event) => event.type === '@xstate.actor' && event.name === 'idle')) as StatelyInspectionEvent & {
        sessionId: string;
      };
      await arrival(received, (event) => event.type === '@xstate.event' && event.sessionId === plain.sessionId && event.event.type === 'poke');

      // Stopped, it publishes nothing more.
      publishing.stop();
      const count = received.length;
      light.tell({ type: 'timer' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(received.length).to.equal(count);
    } finally {
      publishing.stop();
      receiving.unsubscribe();
      stately.stop();
      server.stop();
      await kernel.shutdown();
    }
  });
});
