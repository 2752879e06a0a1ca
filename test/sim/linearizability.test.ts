import { expect } from 'chai';
import { AskTimeoutError, MailboxFullError } from '../../ground/errors.js';
import fc from 'fast-check';
import { checkLinearizable, History, type Operation, type RegisterInput, registerModel, runCampaign, simulateSeeds } from '../../sim/index.js';
import { registerReads } from './fixtures/examples.js';

type Op = Operation<RegisterInput, number>;
const op = (client: number, input: RegisterInput, output: number | undefined, call: number, ret: number): Op => ({ client, input, output, call, ret });

/** A history of operations on a real register, one after another: linearizable by construction. */
const sequentialHistory = fc
  .array(
    fc.record({
      key: fc.constantFrom('x', 'y'),
      kind: fc.constantFrom('read', 'write', 'cas'),
      value: fc.integer({ min: 0, max: 3 }),
      expected: fc.integer({ min: 0, max: 3 }),
    }),
    {
      maxLength: 30,
    },
  )
  .map((steps) => {
    const registers = new Map<string, number>();
    return steps.map((step, index): Op => {
      const current = registers.get(step.key) ?? 0;
      const at = index * 10;
      if (step.kind === 'read') return op(index % 3, { op: 'read', key: step.key }, current, at, at + 5);
      if (step.kind === 'write') {
        registers.set(step.key, step.value);
        return op(index % 3, { op: 'write', key: step.key, value: step.value }, step.value, at, at + 5);
      }
      const swapped = current === step.expected;
      if (swapped) registers.set(step.key, step.value);
      return op(index % 3, { op: 'cas', key: step.key, expected: step.expected, value: step.value }, swapped ? 1 : 0, at, at + 5);
    });
  });

describe('sim: the linearizability checker', () => {
  it('accepts every history of a real register run one operation at a time', () => {
    fc.assert(fc.property(sequentialHistory, (history) => checkLinearizable(registerModel, history).ok));
  });

  it('refuses a history where a read returns a value never written, and names the key', () => {
    fc.assert(
      fc.property(
        sequentialHistory.filter((history) => history.some((operation) => operation.input.op === 'read')),
        (history) => {
          const index = history.findIndex((operation) => operation.input.op === 'read');
          const broken = history.map((operation, at) => (at === index ? { ...operation, output: 99 } : operation));
          const verdict = checkLinearizable(registerModel, broken);
          return !verdict.ok && verdict.key === history[index]!.input.key;
        },
      ),
    );
  });

  it('orders overlapping operations freely, but never against real time', () => {
    const write = op(0, { op: 'write', key: 'x', value: 1 }, 1, 0, 10);
    // A read overlapping the write may see either value.
    expect(checkLinearizable(registerModel, [write, op(1, { op: 'read', key: 'x' }, 1, 5, 6)]).ok).to.equal(true);
    expect(checkLinearizable(registerModel, [write, op(1, { op: 'read', key: 'x' }, 0, 5, 6)]).ok).to.equal(true);
    // A read called after the write returned must see it.
    expect(checkLinearizable(registerModel, [write, op(1, { op: 'read', key: 'x' }, 0, 11, 12)]).ok).to.equal(false);
    // Two reads in real-time order cannot see the value go back.
    const overlapping = op(0, { op: 'write', key: 'x', value: 1 }, 1, 0, 100);
    expect(checkLinearizable(registerModel, [overlapping, op(1, { op: 'read', key: 'x' }, 1, 10, 20), op(2, { op: 'read', key: 'x' }, 0, 30, 40)]).ok).to.equal(
      false,
    );
  });

  it('lets an operation with an unknown result have happened, or not', () => {
    const lost = op(0, { op: 'write', key: 'x', value: 7 }, undefined, 0, Infinity);
    expect(checkLinearizable(registerModel, [lost, op(1, { op: 'read', key: 'x' }, 7, 50, 60)]).ok).to.equal(true);
    expect(checkLinearizable(registerModel, [lost, op(1, { op: 'read', key: 'x' }, 0, 50, 60)]).ok).to.equal(true);
  });

  it('records a history at request and reply boundaries', () => {
    let now = 0;
    const history = new History<RegisterInput, number>(() => now);
    const write = history.invoke(0, { op: 'write', key: 'x', value: 2 });
    now = 5;
    const read = history.invoke(1, { op: 'read', key: 'x' });
    now = 8;
    history.ok(write, 2);
    now = 9;
    history.unknown(read);
    expect(history.operations).to.deep.equal([
      { client: 0, input: { op: 'write', key: 'x', value: 2 }, output: 2, call: 0, ret: 8 },
      { client: 1, input: { op: 'read', key: 'x' }, output: undefined, call: 5, ret: Infinity },
    ]);
    expect(() => history.ok(read, 1)).to.throw(RangeError);
  });

  it('records an ask: its answer, a refusal left out, and a timeout as an unknown result', async () => {
    let now = 0;
    const history = new History<RegisterInput, number>(() => now);
    const answered = history.record(0, { op: 'write', key: 'x', value: 3 }, Promise.resolve(3));
    now = 4;
    expect(await answered).to.equal(3);
    const refused = history.record(1, { op: 'write', key: 'x', value: 4 }, Promise.reject(new MailboxFullError('store', 'write', 1_000)));
    await refused.catch(() => undefined);
    const timedOut = history.record(1, { op: 'read', key: 'x' }, Promise.reject(new AskTimeoutError('store', 'read', 100)));
    expect(await timedOut.catch((error: unknown) => error)).to.be.instanceOf(AskTimeoutError);
    expect(history.operations).to.deep.equal([
      { client: 0, input: { op: 'write', key: 'x', value: 3 }, output: 3, call: 0, ret: 4 },
      { client: 1, input: { op: 'read', key: 'x' }, output: undefined, call: 4, ret: Infinity },
    ]);
  });

  it('finds stale reads of a lagging backup in a campaign, and passes reads from the primary', async () => {
    const summary = await runCampaign(registerReads(false), { seeds: 20 });
    expect(summary.failed, 'some seed reads a stale value').to.not.equal(null);
    expect(summary.failed!.failures.map((failure) => failure.name)).to.deep.equal(['the history is linearizable']);
    await simulateSeeds(registerReads(true), { seeds: 20 });
  });
});
