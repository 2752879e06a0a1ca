import { expect } from 'chai';
import fc from 'fast-check';
import { SlotTable } from '../../../actors/runtime/slots.js';
import { pidCpu, pidGeneration, pidSlot } from '../../../ground/pid.js';

interface Entry {
  readonly pid: number;
}

describe('SlotTable', () => {
  it('hands out pids that name one entry each, never again once released, through growth and reuse', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('allocate' as const), fc.nat(4_000)), { minLength: 1, maxLength: 3_000 }), (operations) => {
        const table = new SlotTable<Entry>(3);
        const live = new Map<number, Entry>();
        const released: number[] = [];
        const pidOf = (entry: Entry) => entry.pid;
        for (const operation of operations) {
          if (operation === 'allocate') {
            const pid = table.allocate();
            expect(live.has(pid), 'a live pid is never handed out twice').to.equal(false);
            expect(pidCpu(pid)).to.equal(3);
            expect(pidSlot(pid)).to.be.greaterThan(0);
            const entry = { pid };
            table.set(pid, entry);
            live.set(pid, entry);
          } else if (live.size > 0) {
            const pid = [...live.keys()][operation % live.size]!;
            table.release(pid);
            live.delete(pid);
            released.push(pid);
          }
          expect(table.size).to.equal(live.size);
        }
        for (const [pid, entry] of live) expect(table.get(pid, pidOf)).to.equal(entry);
        for (const pid of released) if (!live.has(pid)) expect(table.get(pid, pidOf)).to.equal(undefined);
      }),
      { numRuns: 50 },
    );
  });

  it('grows past its first thousand slots and keeps every entry', () => {
    const table = new SlotTable<Entry>(0);
    const entries = Array.from({ length: 5_000 }, () => {
      const entry = { pid: table.allocate() };
      table.set(entry.pid, entry);
      return entry;
    });
    expect(new Set(entries.map((entry) => pidSlot(entry.pid))).size).to.equal(5_000);
    for (const entry of entries) expect(table.get(entry.pid, (each) => each.pid)).to.equal(entry);
    // A pid whose slot was never handed out names nothing.
    expect(table.get(entries[4_999]!.pid + 1, (each) => each.pid)).to.equal(undefined);
  });

  it('starts every slot, on every page, at the first generation it was given (a restarted CPU)', () => {
    const table = new SlotTable<Entry>(2, 7);
    for (let slot = 1; slot < 1_000; slot++) expect(pidGeneration(table.allocate())).to.equal(7);
  });
});
