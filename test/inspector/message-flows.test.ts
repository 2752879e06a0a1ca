import { expect } from 'chai';
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runInNewContext } from 'node:vm';
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

  it('hands on each message between followed actors once, whichever of its send and its hop to another CPU comes first, and watches only while followed', () => {
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
    // Between two CPUs neither of which is CPU 0, the hop may be reported first: it is the message then.
    const cpu2Id = 2 * 2 ** 48 + 1;
    const third = makePid(2, 8, 1);
    flows.follow('page', [ping, pong, third]);
    events.emit(send(cpu2Id, 2, pong, third, farId + 7)); // the hop, on CPU 2
    events.emit(send(farId + 7, 1, pong, third, farId + 6)); // the send it hopped for, on CPU 1
    // A hop whose message went unseen (its report dropped) is the message.
    events.emit(send(cpu2Id + 1, 2, pong, third, farId + 50));
    expect(seen).to.deep.equal([
      'page <0.8.1>→<1.8.1> m1',
      `page <1.8.1>→<0.8.1> m${farId + 1}`,
      `page <1.8.1>→<2.8.1> m${cpu2Id}`,
      `page <1.8.1>→<2.8.1> m${cpu2Id + 1}`,
    ]);
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

  it('runs from its own source, as the page runs it, even after a bundler that minifies and keeps names', async () => {
    const home = mkdtempSync(join(tmpdir(), 'osprey-page-source-'));
    try {
      const entry = join(home, 'entry.js');
      writeFileSync(
        entry,
        `export { flowsToMermaid } from ${JSON.stringify(fileURLToPath(new URL('../../inspector/message-flows.js', import.meta.url)))};\n` +
          `export { activePaths } from ${JSON.stringify(fileURLToPath(new URL('../../actors/runtime/machine-graph.js', import.meta.url)))};\n`,
      );
      const outfile = join(home, 'bundle.mjs');
      await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', minify: true, keepNames: true, outfile, logLevel: 'silent' });
      const bundled = (await import(pathToFileURL(outfile).href)) as { flowsToMermaid: typeof flowsToMermaid; activePaths: (value: unknown) => string[][] };
      // What the page does: the function's source, alone in a scope of its own.
      const fromSource = <F>(fn: F): F => runInNewContext(`(${String(fn)})`) as F;
      const flows: FlowMessage[] = [{ type: 'flow', from: '<0.8.1>', to: '<0.9.1>', messageType: 'ball', atMs: 20 }];
      expect(fromSource(bundled.flowsToMermaid)(flows, () => 'x')).to.equal(flowsToMermaid(flows, () => 'x'));
      expect(fromSource(bundled.activePaths)({ a: { b: 'c' } })).to.deep.equal([['a'], ['a', 'b'], ['a', 'b', 'c']]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
