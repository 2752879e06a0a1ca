/** `kernel.status()` shows a machine actor's state value, as plain data, and `formatStatus` prints it. */
import { expect } from 'chai';
import { setup } from 'xstate';
import { type ActorStatus, formatStateValue, formatStatus, fromMachine, fromReceive, type Kernel } from '../../../boot/index.js';
import { bootSimulated, settle, shutdown } from './helpers.js';

const crossing = setup({ types: {} as { events: { type: 'press' } | { type: 'mute' } } }).createMachine({
  id: 'crossing',
  type: 'parallel',
  states: {
    walk: {
      initial: 'waiting',
      states: {
        waiting: { on: { press: 'signal' } },
        signal: { initial: 'steady', states: { steady: { after: { 5000: 'blinking' } }, blinking: {} } },
      },
    },
    sound: { initial: 'on', states: { on: { on: { mute: 'off' } }, off: {} } },
  },
});

function nodeNamed(kernel: Kernel, name: string): ActorStatus {
  const find = (node: ActorStatus): ActorStatus | undefined => (node.name === name ? node : node.children.map(find).find((found) => found !== undefined));
  const node = find(kernel.status().tree);
  if (node === undefined) throw new Error(`no actor named ${name}`);
  return node;
}

describe('xstate machine actors: status', () => {
  it('show the state value of a machine actor, nested regions as plain objects', async () => {
    const kernel = await bootSimulated();
    const ref = kernel.spawn(fromMachine(crossing), { name: 'crossing' });
    await settle(kernel);
    expect(nodeNamed(kernel, 'crossing').state).to.deep.equal({ walk: 'waiting', sound: 'on' });
    ref.tell({ type: 'press' });
    ref.tell({ type: 'mute' });
    await kernel.advance(5000);
    const state = nodeNamed(kernel, 'crossing').state;
    expect(state).to.deep.equal({ walk: { signal: 'blinking' }, sound: 'off' });
    // Plain data: it survives a trip through JSON as it is, so it crosses CPUs.
    expect(JSON.parse(JSON.stringify(state))).to.deep.equal(state);
    await shutdown(kernel);
  });

  it('print it in formatStatus, and leave other actors without one', async () => {
    const kernel = await bootSimulated();
    kernel.spawn(fromMachine(crossing), { name: 'crossing' });
    kernel.spawn(
      fromReceive<never>(() => {}),
      { name: 'plain' },
    );
    await settle(kernel);
    expect(formatStatus(kernel.status())).to.match(/machine:crossing 'crossing' \S+ running, in \{walk\.waiting, sound\.on\}/);
    expect(nodeNamed(kernel, 'plain')).to.not.have.property('state');
    await shutdown(kernel);
  });

  it('format state values: a name, a path, parallel regions', () => {
    expect(formatStateValue('green')).to.equal('green');
    expect(formatStateValue({ walk: { signal: 'blinking' } })).to.equal('walk.signal.blinking');
    expect(formatStateValue({ walk: 'waiting', sound: 'on' })).to.equal('{walk.waiting, sound.on}');
  });
});
