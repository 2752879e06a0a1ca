import { expect } from 'chai';
import fc from 'fast-check';
import type { KernelEvent } from '../../actors/runtime/events.js';
import { makePid } from '../../ground/pid.js';
import { type FlowMessage, flowsToMermaid, MessageFlows } from '../../inspector/index.js';
import { mermaidErrors } from '../helpers/mermaid-check.js';

/** A hand-driven event stream. */
function eventStream() {
  const observers = new Set<(event: KernelEvent) => void>();
  return {
    observers,
    subscribe(observer: (event: KernelEvent) => void) {
      observers.add(observer);
      return { unsubscribe: () => observers.delete(observer) };
    },
    emit(event: KernelEvent) {
      for (const observer of observers) observer(event);
    },
  };
}

describe('inspector: the message flow between followed actors', () => {
  const ping = makePid(0, 8, 1);
  const pong = makePid(1, 8, 1);
  const other = makePid(0, 9, 1);
  const send = (id: number, cpu: number, from: number, to: number, cause = 0): KernelEvent => ({
    kind: 'send',
    id,
    cause,
    cpu,
    atMs: id,
    from,
    to,
    messageType: `m${id}`,
  });

  it('hands on each message between followed actors once, a hop to another CPU not again, and watches only while followed', () => {
    const events = eventStream();
    const seen: string[] = [];
    const flows = new MessageFlows<string>(events, (page, message) => seen.push(`${page} ${message.from}→${message.to} ${message.messageType}`));
    expect(events.observers.size).to.equal(0);
    flows.follow('page', [ping, pong]);
    expect(events.observers.size).to.equal(1);
    const farId = 2 ** 48 + 1;
    events.emit(send(1, 0, ping, pong)); // into the ring to CPU 1
    events.emit(send(farId, 1, ping, pong, 1)); // its hop into pong's mailbox, on CPU 1
    events.emit(send(farId + 1, 1, pong, ping, farId + 5)); // pong answers, in a turn of CPU 1
    events.emit(send(2, 0, ping, other)); // to an actor not followed
    expect(seen).to.deep.equal(['page <0.8.1>→<1.8.1> m1', `page <1.8.1>→<0.8.1> m${farId + 1}`]);
    flows.leave('page');
    expect(events.observers.size).to.equal(0);
    expect(() =>
      flows.follow(
        'page',
        Array.from({ length: 33 }, (_, slot) => makePid(0, slot + 1, 1)),
      ),
    ).to.throw(RangeError, /at most 32/);
  });

  it('writes any names and message types as a Mermaid sequence diagram that Mermaid parses (property)', async () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '"', '\\', '\n', ':', ';', '{', '}', '<', '>', '&', '#', '%', '-', '[', ']', 'é', '→') });
    const cases = fc.sample(
      fc.record({
        names: fc.array(text, { minLength: 1, maxLength: 4 }),
        messages: fc.array(fc.tuple(fc.nat(3), fc.nat(3), text), { minLength: 1, maxLength: 8 }),
      }),
      { numRuns: 30, seed: 11 },
    );
    const diagrams = cases.map(({ names, messages }) => {
      const pidText = (index: number) => `<0.${(index % names.length) + 1}.1>`;
      const flows: FlowMessage[] = messages.map(([from, to, messageType], index) => ({
        type: 'flow',
        from: pidText(from),
        to: pidText(to),
        messageType,
        atMs: index,
      }));
      return flowsToMermaid(flows, (pid) => names[Number(pid.split('.')[1]) - 1] ?? '');
    });
    expect(await mermaidErrors(diagrams)).to.deep.equal(diagrams.map(() => null));
    expect(
      flowsToMermaid([{ type: 'flow', from: '<0.8.1>', to: '<0.9.1>', messageType: 'ball', atMs: 20 }], (pid) => (pid === '<0.8.1>' ? 'ping' : 'pong')),
    ).to.equal('sequenceDiagram\n  participant p0 as ping #60;0.8.1#62;\n  participant p1 as pong #60;0.9.1#62;\n  p0->>p1: ball');
  });
});
