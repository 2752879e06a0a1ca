/** Causal chains run through timers: a timer's firing names the event during which it was armed. */
import { expect } from 'chai';
import { setup } from 'xstate';
import { fromMachine, fromReceive, type KernelEvent } from '../../../boot/index.js';
import { bootSimulated, collectEvents, shutdown } from './helpers.js';

/** The events from `event` back along its causes, as `kind detail` lines. */
function chainOf(events: readonly KernelEvent[], event: KernelEvent): string[] {
  const byId = new Map(events.map((each) => [each.id, each]));
  const chain: string[] = [];
  for (let at: KernelEvent | undefined = event; at !== undefined; at = at.cause === 0 ? undefined : byId.get(at.cause)) {
    const detail = at.kind === 'timer' ? at.key : at.kind === 'transition' ? `${at.from}→${at.to}` : 'messageType' in at ? at.messageType : '';
    chain.push(`${at.kind} ${detail}`);
  }
  return chain;
}

type AlarmMsg = { readonly type: 'arm' } | { readonly type: 'ring' };

const Alarm = fromReceive<AlarmMsg>((message, ctx) => {
  if (message.type === 'arm') ctx.startTimer('alarm', 50, { type: 'ring' });
}, 'Alarm');

const doorMachine = setup({ types: {} as { events: { type: 'open' } } }).createMachine({
  id: 'door',
  initial: 'closed',
  states: {
    closed: { on: { open: 'open' } },
    open: { after: { 1000: 'closed' } },
  },
});

describe('timers in the causal event stream', () => {
  it('a timer fires as caused by the event that armed it, and its message by the timer', async () => {
    const kernel = await bootSimulated();
    const events = collectEvents(kernel);
    const alarm = kernel.spawn(Alarm);
    alarm.tell({ type: 'arm' });
    await kernel.simulatedClock.advance(100);
    const ring = events.find((event) => event.kind === 'receive' && event.messageType === 'ring');
    expect(chainOf(events, ring!)).to.deep.equal(['receive ring', 'send ring', 'timer alarm', 'receive arm', 'send arm']);
    const timer = events.find((event) => event.kind === 'timer');
    expect(timer).to.include({ pid: alarm.pid, cpu: 0 });
    await shutdown(kernel);
  });

  it('a machine’s delayed transition is caused, through its timer, by the message that entered the state', async () => {
    const kernel = await bootSimulated();
    const events = collectEvents(kernel);
    const door = kernel.spawn(fromMachine(doorMachine));
    door.tell({ type: 'open' });
    await kernel.simulatedClock.advance(1_000);
    const closing = events.find((event) => event.kind === 'transition' && event.from === 'open');
    expect(chainOf(events, closing!)).to.deep.equal([
      'transition open→closed',
      'receive xstate.after.1000.door.open',
      'send xstate.after.1000.door.open',
      'timer xstate:xstate.after.1000.door.open',
      'receive open',
      'send open',
    ]);
    await shutdown(kernel);
  });

  it('an untraced timer costs no event, and fires as before', async () => {
    const kernel = await bootSimulated();
    const seen: string[] = [];
    const alarm = kernel.spawn(
      fromReceive<AlarmMsg>((message, ctx) => {
        seen.push(message.type);
        if (message.type === 'arm') ctx.startTimer('alarm', 50, { type: 'ring' });
      }),
    );
    alarm.tell({ type: 'arm' });
    await kernel.simulatedClock.advance(100);
    expect(seen).to.deep.equal(['arm', 'ring']);
    await shutdown(kernel);
  });
});
