/**
 * The atomic word accesses of `MemoryAccess` (load, store, exchange, compare-exchange on 32-bit
 * words) and the VM lock built on them: what they return, that they reach the same bytes as the
 * plain accesses, that a compare-exchange is a write (it faults on a read-only page), and that bad
 * addresses get the VM's typed errors.
 */
import { expect } from 'chai';
import { CpuMemory, createPhysicalMemory } from '../../../actors/vm/cpu-memory.js';
import { SegmentationFault, VmArgumentError } from '../../../actors/vm/errors.js';
import { pageBytes } from '../../../actors/vm/limits.js';
import { Mapper } from '../../../actors/vm/mapper.js';
import { abandonVmLockOf, acquireVmLock, releaseVmLock, vmLockFree, withVmLock } from '../../../actors/vm/vm-lock.js';
import { VmLockAbandonedError } from '../../../actors/vm/errors.js';
import { InvariantError } from '../../../ground/errors.js';

function machine(): { memory: CpuMemory; mapper: Mapper } {
  const memory = new CpuMemory(createPhysicalMemory(16 << 20, 1), 0);
  return { memory, mapper: new Mapper(memory.tables, memory.cache, memory.access) };
}

describe('vm: atomic word accesses', () => {
  it('load, store, exchange and compare-exchange a 32-bit word, as the plain accesses see it', () => {
    const { memory, mapper } = machine();
    const access = memory.access;
    const address = mapper.map(2 * pageBytes) + pageBytes + 12;
    expect(access.loadI32(address), 'a fresh page reads as zero').to.equal(0);
    access.storeI32(address, -5);
    expect(access.loadI32(address)).to.equal(-5);
    expect(access.readU32(address)).to.equal(2 ** 32 - 5);
    expect(access.exchangeI32(address, 9)).to.equal(-5);
    expect(access.compareExchangeI32(address, 8, 1), 'a mismatch returns the word').to.equal(9);
    expect(access.loadI32(address), 'and leaves it').to.equal(9);
    expect(access.compareExchangeI32(address, 9, 1)).to.equal(9);
    expect(access.loadI32(address)).to.equal(1);
    access.writeU32(address + 4, 0xffff_ffff);
    expect(access.loadI32(address + 4)).to.equal(-1);
    expect(access.loadI32(address), 'the neighbour is untouched').to.equal(1);
  });

  it('gives typed errors: a misaligned address, an unmapped page, a compare-exchange on a read-only page', () => {
    const { memory, mapper } = machine();
    const access = memory.access;
    const address = mapper.map(pageBytes);
    expect(() => access.loadI32(address + 2)).to.throw(VmArgumentError, /multiple of 4/);
    expect(() => access.compareExchangeI32(address + 1, 0, 1)).to.throw(VmArgumentError);
    expect(() => access.storeI32(address + pageBytes * 64, 1)).to.throw(SegmentationFault, /nothing is mapped/);
    mapper.protect(address, pageBytes, 'read');
    expect(access.loadI32(address)).to.equal(0);
    expect(() => access.compareExchangeI32(address, 0, 1)).to.throw(SegmentationFault, /read-only/);
    expect(() => access.exchangeI32(address, 1)).to.throw(SegmentationFault, /read-only/);
  });

  it('a VM lock holds the CPU’s number while held, releases on a throw, and refuses re-entry', () => {
    const { memory, mapper } = machine();
    const access = memory.access;
    const lock = mapper.map(pageBytes) + 8;
    expect(withVmLock(access, lock, () => access.loadI32(lock))).to.equal(access.cpu + 1);
    expect(access.loadI32(lock)).to.equal(vmLockFree);
    expect(() =>
      withVmLock(access, lock, () => {
        throw new RangeError('inside');
      }),
    ).to.throw(RangeError);
    expect(access.loadI32(lock), 'a throw released it').to.equal(vmLockFree);
    expect(() => withVmLock(access, lock, () => withVmLock(access, lock, () => 0))).to.throw(InvariantError, /re-enters/);
    expect(access.loadI32(lock)).to.equal(vmLockFree);
    acquireVmLock(access, lock);
    releaseVmLock(access, lock);
    expect(() => releaseVmLock(access, lock)).to.throw(InvariantError);
  });

  it('a VM lock whose holder died is abandoned: every acquirer then gets a typed error, not a wait', () => {
    const { memory, mapper } = machine();
    const access = memory.access;
    const lock = mapper.map(pageBytes) + 8;
    // CPU 3 holds it, then dies; a CPU that did not hold it leaves it be.
    access.storeI32(lock, 3 + 1);
    expect(abandonVmLockOf(access, lock, 2)).to.equal(false);
    expect(abandonVmLockOf(access, lock, 3)).to.equal(true);
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = (() => {
        try {
          withVmLock(access, lock, () => 0);
        } catch (caught) {
          return caught;
        }
        return null;
      })();
      expect(error).to.be.instanceOf(VmLockAbandonedError).and.to.include({ code: 'vm-lock-abandoned', cpu: 3 });
    }
  });

  it('gives up on a holder that never lets go, rather than spin forever', () => {
    const { memory, mapper } = machine();
    const access = memory.access;
    const lock = mapper.map(pageBytes) + 8;
    // CPU 2 holds it and is never heard of again (dead before anyone could say so, or stuck).
    access.storeI32(lock, 2 + 1);
    expect(() => withVmLock(access, lock, () => 0, 1_000))
      .to.throw(VmLockAbandonedError)
      .with.property('reason', 'held-too-long');
    expect(access.loadI32(lock), 'still held: only the death abandons it').to.equal(2 + 1);
  });
});
