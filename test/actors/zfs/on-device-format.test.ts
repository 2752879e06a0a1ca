import { expect } from 'chai';
import fc from 'fast-check';
import { type BlockPointer, blockTypes, decodeBlockPointer, encodeBlockPointer, holePointer, isHole } from '../../../actors/zfs/block-pointer.js';
import { checksumKinds } from '../../../actors/zfs/checksum.js';
import { sealArea } from '../../../actors/zfs/embedded-checksum.js';
import { decodeDnode, type Dnode, dnodeBytes, encodeDnode, freeDnode } from '../../../actors/zfs/dnode.js';
import { FormatError } from '../../../actors/zfs/format-errors.js';
import { objsetBlockBytes } from '../../../actors/zfs/object-set.js';
import { readScanRecord, scanRecordBytes, scanRecordOffset, writeScanRecord } from '../../../actors/zfs/scan-record.js';
import {
  configBytes,
  configOffsetBytes,
  decodeLabelConfig,
  devicePathBytesMax,
  devicesMax,
  encodeLabelConfig,
  type LabelConfig,
  labelBytes,
  labelOffsets,
  ringOffsetBytes,
  ringSlots,
  uberblockSlotOffset,
} from '../../../actors/zfs/label.js';
import { decodeUberblock, encodeUberblock, pickUberblock, ringSlotBytes, type Uberblock, uberblockVersion } from '../../../actors/zfs/uberblock.js';

const pointers: fc.Arbitrary<BlockPointer> = fc.record({
  addresses: fc.array(fc.record({ device: fc.nat(253), offsetBytes: fc.nat({ max: 2 ** 50 }), allocatedBytes: fc.integer({ min: 1, max: 2 ** 25 }) }), {
    minLength: 1,
    maxLength: 3,
  }),
  logicalBytes: fc.integer({ min: 1, max: 16 << 20 }),
  physicalBytes: fc.integer({ min: 1, max: 16 << 20 }),
  checksumKind: fc.constantFrom(...checksumKinds),
  type: fc.constantFrom(...blockTypes),
  level: fc.integer({ min: 0, max: 8 }),
  birthTxg: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  fill: fc.nat(),
  checksum: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});

const uberblocks: fc.Arbitrary<Uberblock> = fc.record({
  version: fc.constant(uberblockVersion),
  txg: fc.integer({ min: 1, max: 2 ** 40 }),
  guidSum: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  timestampMs: fc.nat({ max: 2 ** 45 }),
  root: pointers,
});

const config: LabelConfig = {
  poolName: 'tank',
  poolGuid: '0123456789abcdef',
  layout: 'mirror',
  deviceGuids: ['00000000000000a1', '00000000000000b2'],
  deviceIndex: 1,
  sectorBytes: 512,
  dataEndBytes: 7 << 20,
  checksum: 'sha256',
  txg: 42,
};

/** `bytes` with bit `bit` flipped. */
function flipped(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

describe('zfs: the on-device format', () => {
  it('block pointers round-trip through their 128 bytes, a hole is 128 zero bytes (property)', () => {
    fc.assert(
      fc.property(pointers, (pointer) => {
        expect(decodeBlockPointer(encodeBlockPointer(pointer))).to.deep.equal(pointer);
      }),
    );
    expect(encodeBlockPointer(holePointer()).every((byte) => byte === 0)).to.equal(true);
    expect(isHole(decodeBlockPointer(new Uint8Array(128)))).to.equal(true);
  });

  it('refuses pointers it cannot hold and bytes that encode none', () => {
    const good = fc.sample(pointers, { numRuns: 1, seed: 3 })[0]!;
    expect(() => encodeBlockPointer({ ...good, addresses: [] })).to.throw(RangeError, /0 copies/);
    expect(() => encodeBlockPointer({ ...good, level: 9 })).to.throw(RangeError, /level 9/);
    expect(() => encodeBlockPointer({ ...good, physicalBytes: (16 << 20) + 1 })).to.throw(RangeError, /physical size/);
    const bytes = encodeBlockPointer({ ...good, addresses: good.addresses.slice(0, 1) });
    const withKind = bytes.slice();
    withKind[56] = 9;
    expect(() => decodeBlockPointer(withKind)).to.throw(FormatError, /checksum kind 9/);
    const strayCopy = bytes.slice();
    strayCopy[16] = 1;
    expect(() => decodeBlockPointer(strayCopy)).to.throw(FormatError, /copy 1 is filled in/);
    const tail = bytes.slice();
    tail[120] = 1;
    expect(() => decodeBlockPointer(tail)).to.throw(FormatError, /last 20 bytes/);
    const copies = bytes.slice();
    copies[59] = 200;
    expect(() => decodeBlockPointer(copies)).to.throw(FormatError, /200 copies/);
    // A pointer to something is never written as a hole, whatever its birth says.
    expect(() => encodeBlockPointer({ ...good, birthTxg: 0 })).to.throw(RangeError, /birth txg 0/);
  });

  it('an uberblock slot round-trips where it was written, and fails on any flipped bit or in another place (property)', () => {
    fc.assert(
      fc.property(uberblocks, fc.constantFrom(512, 4096), fc.nat(), (uberblock, sector, where) => {
        const slotBytes = ringSlotBytes(sector);
        const offset = 3 * slotBytes + 128 * 1024;
        const slot = encodeUberblock(uberblock, slotBytes, offset);
        expect(decodeUberblock(slot, offset)).to.deep.equal(uberblock);
        expect(() => decodeUberblock(flipped(slot, where % (slotBytes * 8)), offset)).to.throw(FormatError);
        expect(() => decodeUberblock(slot, offset + slotBytes), 'misdirected').to.throw(FormatError, /does not verify/);
        expect(() => encodeUberblock({ ...uberblock, version: 2 }, slotBytes, offset)).to.throw(RangeError, /version/);
      }),
      { numRuns: 60 },
    );
  });

  it('an import takes the newest uberblock that verifies: the highest txg, then the latest time (property)', () => {
    const slot = 1024;
    fc.assert(
      fc.property(fc.array(fc.tuple(uberblocks, fc.boolean()), { minLength: 1, maxLength: 12 }), (entries) => {
        // One pool's uberblocks: their guid sum is the pool's.
        const ofPool = entries.map(([uberblock, damaged]) => [{ ...uberblock, guidSum: 7n }, damaged] as const);
        const slots = ofPool.map(([uberblock, damaged], index) => {
          const bytes = encodeUberblock(uberblock, slot, index * slot);
          return { bytes: damaged ? flipped(bytes, 200) : bytes, offsetBytes: index * slot };
        });
        const intact = ofPool.filter(([, damaged]) => !damaged).map(([uberblock]) => uberblock);
        const best = pickUberblock(slots, 7n);
        if (intact.length === 0) return best === undefined;
        const newest = intact.reduce((a, b) => (b.txg > a.txg || (b.txg === a.txg && b.timestampMs > a.timestampMs) ? b : a));
        return best !== undefined && best.txg === newest.txg && best.timestampMs === newest.timestampMs;
      }),
    );
    expect(pickUberblock([{ bytes: new Uint8Array(1024), offsetBytes: 0 }], 7n), 'a never-written ring').to.equal(undefined);
    // A newer uberblock of another pool that had these devices before is not this pool's.
    const root = fc.sample(pointers, { numRuns: 1, seed: 5 })[0]!;
    const mine = encodeUberblock({ version: uberblockVersion, txg: 5, guidSum: 7n, timestampMs: 1, root }, slot, 0);
    const leftover = encodeUberblock({ version: uberblockVersion, txg: 90, guidSum: 8n, timestampMs: 1, root }, slot, slot);
    expect(
      pickUberblock(
        [
          { bytes: mine, offsetBytes: 0 },
          { bytes: leftover, offsetBytes: slot },
        ],
        7n,
      )?.txg,
    ).to.equal(5);
  });

  it('a dnode round-trips through its 256 bytes, a free slot is zeros, and reserved bytes that are not zero are refused (property)', () => {
    const dnodes: fc.Arbitrary<Dnode> = fc
      .record({
        type: fc.constantFrom('dnodes' as const, 'file' as const, 'directory' as const),
        blockBytes: fc.integer({ min: 9, max: 24 }).map((shift) => 2 ** shift),
        sizeBytes: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        birthTxg: fc.integer({ min: 1, max: 2 ** 50 }),
        root: fc.option(pointers, { nil: undefined }),
      })
      .map(({ root, ...rest }) => ({ ...rest, levels: root === undefined ? 0 : root.level + 1, root: root ?? holePointer() }));
    fc.assert(
      fc.property(dnodes, fc.nat(), (dnode, at) => {
        const bytes = encodeDnode(dnode);
        expect(bytes.byteLength).to.equal(dnodeBytes);
        expect(decodeDnode(bytes, 0)).to.deep.equal(dnode);
        // A byte of a reserved area (2–3, 24–63, 192–255) that is not zero.
        const reserved = [2, 3, ...Array.from({ length: 40 }, (_, i) => 24 + i), ...Array.from({ length: 64 }, (_, i) => 192 + i)];
        const damaged = bytes.slice();
        damaged[reserved[at % reserved.length]!] = 1;
        expect(() => decodeDnode(damaged, 0)).to.throw(FormatError);
      }),
    );
    expect(encodeDnode(freeDnode()).every((byte) => byte === 0)).to.equal(true);
    expect(decodeDnode(new Uint8Array(dnodeBytes), 0)).to.deep.equal(freeDnode());
  });

  it('a scan record round-trips through its 64 bytes, none is zeros, and one no pool writes is refused (property)', () => {
    const records = fc.record({
      kind: fc.constantFrom('scrub' as const, 'resilver' as const),
      blocks: fc.maxSafeNat(),
      examinedBytes: fc.maxSafeNat(),
      repairedCopies: fc.maxSafeNat(),
      repairedBytes: fc.maxSafeNat(),
      unrecoverableBlocks: fc.maxSafeNat(),
      complete: fc.boolean(),
      durationMs: fc.double({ min: 0, max: 1e12, noNaN: true }),
    });
    fc.assert(
      fc.property(records, (record) => {
        const view = new DataView(new ArrayBuffer(objsetBlockBytes));
        expect(readScanRecord(view, scanRecordOffset)).to.equal(null);
        writeScanRecord(view, scanRecordOffset, record);
        expect(readScanRecord(view, scanRecordOffset)).to.deep.equal(record);
        view.setUint8(scanRecordOffset, 3);
        expect(() => readScanRecord(view, scanRecordOffset)).to.throw(FormatError, /scan record/);
      }),
    );
    expect(scanRecordOffset + scanRecordBytes).to.be.at.most(objsetBlockBytes);
  });

  it('lays out four labels, two at each end, with a ring slot per txg', () => {
    expect(labelOffsets(64 << 20)).to.deep.equal([0, labelBytes, (64 << 20) - 2 * labelBytes, (64 << 20) - labelBytes]);
    // A size past the last whole label: the end labels sit at the end of the last whole one.
    expect(labelOffsets((64 << 20) + 4096)[3]).to.equal((64 << 20) - labelBytes);
    expect(() => labelOffsets(3 * labelBytes)).to.throw(RangeError, /four/);
    expect([ringSlots(512), ringSlots(4096)]).to.deep.equal([128, 32]);
    expect(uberblockSlotOffset(labelBytes, 130, 512)).to.equal(labelBytes + ringOffsetBytes + 2 * 1024);
    expect(configOffsetBytes + configBytes).to.equal(ringOffsetBytes);
  });

  it('a label configuration round-trips where it was written, and is refused corrupted, elsewhere, or malformed', () => {
    const offset = labelBytes + configOffsetBytes;
    const area = encodeLabelConfig(config, offset);
    expect(area.byteLength).to.equal(configBytes);
    expect(decodeLabelConfig(area, offset)).to.deep.equal(config);
    expect(() => decodeLabelConfig(flipped(area, 40), offset)).to.throw(FormatError, /does not verify/);
    expect(() => decodeLabelConfig(area, configOffsetBytes)).to.throw(FormatError, /does not verify/);
    expect(() => decodeLabelConfig(new Uint8Array(configBytes), offset)).to.throw(FormatError);
    expect(() => encodeLabelConfig({ ...config, poolName: '1tank' }, offset)).to.throw(RangeError, /pool name/);
    expect(() => encodeLabelConfig({ ...config, deviceIndex: 2 }, offset)).to.throw(RangeError, /device index 2/);
    expect(() => encodeLabelConfig({ ...config, poolGuid: 'xyz' }, offset)).to.throw(RangeError, /pool guid/);
    expect(() => encodeLabelConfig({ ...config, deviceGuids: ['00000000000000a1', '00000000000000a1'] }, offset)).to.throw(RangeError, /twice/);
    expect(() => encodeLabelConfig({ ...config, layout: 'raidz2' }, offset)).to.throw(RangeError, /fewer than 3/);
    expect(() => encodeLabelConfig({ ...config, checksum: 'crc32' as 'sha256' }, offset)).to.throw(RangeError, /checksum "crc32"/);
    // Each device's path, kept for a status to say what a missing device was; labels without them still read.
    const withPaths = { ...config, devicePaths: ['/pool/a.img', ''] };
    expect(decodeLabelConfig(encodeLabelConfig(withPaths, offset), offset)).to.deep.equal(withPaths);
    for (const devicePaths of [
      ['/pool/a.img'],
      ['/a', 'b\nc'],
      ['/a', 'x'.repeat(devicePathBytesMax + 1)],
      ['/a', '\\'.repeat(129)],
      ['/a', 2 as unknown as string],
    ])
      expect(() => encodeLabelConfig({ ...config, devicePaths }, offset), JSON.stringify(devicePaths)).to.throw(RangeError, /device paths/);
    // The longest a label keeps, on the most devices, still fits its area.
    const widest = { ...config, layout: 'raidz2' as const, deviceGuids: Array.from({ length: devicesMax }, (_, i) => (i + 1).toString(16).padStart(16, '0')) };
    // Measured as JSON text: escapes and multi-byte characters count as what they take.
    for (const longest of ['é'.repeat(128), '\\'.repeat(128), '"'.repeat(128), 'x'.repeat(devicePathBytesMax - 2)])
      expect(() => encodeLabelConfig({ ...widest, devicePaths: widest.deviceGuids.map(() => longest) }, offset), longest.slice(0, 3)).to.not.throw();
    // What is written is the fields checked: an extra field or a toJSON does not reach the device.
    const decorated = { ...config, secret: 1, toJSON: () => ({ poolName: 'other' }) } as LabelConfig;
    expect(decodeLabelConfig(encodeLabelConfig(decorated, offset), offset)).to.deep.equal(config);
    // Sealed bytes that hold no configuration: decode checks them too.
    const sealedOf = (text: string) => {
      const area = new Uint8Array(configBytes);
      const bytes = new TextEncoder().encode(text);
      new DataView(area.buffer).setUint32(0, bytes.byteLength, true);
      area.set(bytes, 4);
      sealArea(area, offset);
      return area;
    };
    expect(() => decodeLabelConfig(sealedOf('{not json'), offset)).to.throw(FormatError, /not JSON/);
    expect(() => decodeLabelConfig(sealedOf(JSON.stringify({ ...config, extra: true })), offset)).to.throw(FormatError, /fields it does not know: extra/);
    expect(() => decodeLabelConfig(sealedOf(JSON.stringify({ ...config, deviceIndex: 5 })), offset)).to.throw(FormatError, /device index 5/);
  });
});
