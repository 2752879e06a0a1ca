/**
 * The simulated network's central promise, as a property: whatever the wire does within the
 * fault ranges (loss up to 30 %, duplicates, reordering, delays), whatever the chunking and timing of
 * the writes and however late the consumers give credits back, each side receives exactly the
 * bytes the other wrote, in order, in no more data events than its credits allow, and both flows
 * close cleanly.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { FlowId, NicEvent } from '../../../drivers/nic/nic.js';
import type { SimulatedNic } from '../../../drivers/nic/sim-host.js';
import { bytesEqual } from '../../../ground/bytes.js';
import { stressSize } from '../../helpers/stress.js';
import { createWorld, joined, pattern } from './simulated-world.js';

const port = 80;

const faults = fc.record({
  dropRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
  duplicateRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
  reorderRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
  delayMs: fc.record({ min: fc.integer({ min: 0, max: 5 }), spread: fc.integer({ min: 0, max: 40 }) }).map(({ min, spread }) => ({ min, max: min + spread })),
});

/** Writes: each chunk's length, and how long after the previous one it is written. */
const writes = fc.array(fc.record({ lengthBytes: fc.integer({ min: 1, max: 6_000 }), gapMs: fc.integer({ min: 0, max: 50 }) }), { maxLength: 12 });

/** How long a consumer takes to give each data event's credit back (0: at once, inside the sink). */
const creditDelays = fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 6 });

type Writes = readonly { readonly lengthBytes: number; readonly gapMs: number }[];

describe('drivers: the simulated network carries streams exactly (property)', () => {
  it('delivers each side exactly what the other wrote, in order and within its credits, then closes both cleanly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        faults,
        writes,
        writes,
        creditDelays,
        fc.integer({ min: 1, max: 8 }),
        async (seed, wireFaults, clientWrites, serverWrites, delays, credits) => {
          const world = createWorld(seed, wireFaults, { retriesMax: 30 });
          const outstanding = new Map<string, number>();
          let delayIndex = 0;
          const violations: string[] = [];
          /** The consumer: counts data events not yet credited, and credits each back after its delay. */
          const consume = (event: NicEvent, nic: SimulatedNic): void => {
            if (event.kind === 'accepted') schedule(nic, event.flow, serverWrites, 2);
            if (event.kind !== 'data') return;
            const key = `${nic.name}/${event.flow}`;
            const count = (outstanding.get(key) ?? 0) + 1;
            outstanding.set(key, count);
            if (count > credits) violations.push(`${key}: ${count} data events outstanding with ${credits} credits`);
            const delay = delays[delayIndex++ % delays.length]!;
            const giveBack = (): void => {
              outstanding.set(key, outstanding.get(key)! - 1);
              nic.credit(event.flow, 1);
            };
            if (delay === 0) giveBack();
            else world.clock.setTimer(delay, giveBack);
          };
          const schedule = (nic: SimulatedNic, flow: FlowId, chunks: Writes, salt: number): void => {
            let atMs = 0;
            let offset = 0;
            for (const { lengthBytes, gapMs } of chunks) {
              atMs += gapMs;
              const from = offset;
              world.clock.setTimer(atMs, () => nic.write(flow, pattern(lengthBytes, salt, from)));
              offset += lengthBytes;
            }
            world.clock.setTimer(atMs, () => nic.end(flow));
          };
          const server = world.host('server', { receiveCreditChunks: credits }, consume);
          const client = world.host('client', { receiveCreditChunks: credits }, consume);
          await server.listen({ host: '0.0.0.0', port });
          const flow = client.connect('server', port);
          schedule(client, flow, clientWrites, 1);
          await world.clock.runUntilIdle();

          expect(violations).to.deep.equal([]);
          const accepted = world.eventsOf('server').find((event) => event.kind === 'accepted');
          expect(accepted, 'the server accepted the connection').to.not.equal(undefined);
          const expectFlow = (host: string, id: FlowId, opening: string, chunks: Writes, salt: number): void => {
            const events = world.eventsOf(host, id);
            const kinds = events.map((event) => event.kind);
            expect(kinds[0]).to.equal(opening);
            expect(kinds.at(-1)).to.equal('closed');
            expect(kinds.filter((kind) => kind === 'closed')).to.have.length(1);
            expect(kinds.filter((kind) => kind === 'ended')).to.have.length(1);
            expect(kinds.lastIndexOf('data')).to.be.below(kinds.indexOf('ended'));
            expect((events.at(-1) as Extract<NicEvent, { kind: 'closed' }>).fault).to.equal(null);
            const expected = joined(chunks.map(({ lengthBytes }) => new Uint8Array(lengthBytes)));
            expected.set(pattern(expected.byteLength, salt));
            expect(bytesEqual(world.received(host, id), expected), `${host} received what its peer wrote`).to.equal(true);
          };
          expectFlow('client', flow, 'connected', serverWrites, 2);
          expectFlow('server', accepted!.flow, 'accepted', clientWrites, 1);
          expect(server.stats().flowsOpen + client.stats().flowsOpen).to.equal(0);
        },
      ),
      { numRuns: stressSize('NIC_TRANSFER_RUNS', { ci: 40, full: 1_000 }) },
    );
  });
});
