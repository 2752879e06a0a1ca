import { expect } from 'chai';
import { holePointer } from '../../../actors/zfs/block-pointer.js';
import type { LabelConfig } from '../../../actors/zfs/label.js';
import { configOffsetBytes, encodeLabelConfig, labelBytes, labelOffsets, uberblockSlotOffset } from '../../../actors/zfs/label.js';
import { findPools, guidSumOf, readLabels, writeLabels, writeUberblock } from '../../../actors/zfs/label-io.js';
import { encodeUberblock, uberblockVersion } from '../../../actors/zfs/uberblock.js';
import { createMemoryDevice, type MemoryDevice } from '../../../drivers/block/index.js';
import { createSimulatedClock } from '../../../drivers/clock/simulated.js';
import { drivenBy } from '../../helpers/driven.js';
import { createSeededRandom } from '../../../drivers/random/seeded.js';

const sizeBytes = 8 << 20;

function machine(seed = 1, queueDepth?: number) {
  const clock = createSimulatedClock();
  const random = createSeededRandom(seed);
  const disk = (name: string) =>
    createMemoryDevice({
      name,
      sizeBytes,
      clock,
      random: random.stream(name),
      ...(queueDepth === undefined ? {} : { queueDepth }),
      faults: { latencyMs: [0.1, 1], crashKeepsWrite: 0 },
    });
  /** Runs the simulated devices until `work` is done. */
  const drive = <T>(work: Promise<T>): Promise<T> => drivenBy(clock, work);
  return { disk, drive };
}

const mirrorConfig = (deviceIndex: number, txg = 1): LabelConfig => ({
  poolName: 'tank',
  poolGuid: '00000000000000aa',
  layout: 'mirror',
  deviceGuids: ['0000000000000001', '0000000000000002'],
  deviceIndex,
  sectorBytes: 512,
  dataEndBytes: labelOffsets(sizeBytes)[2],
  checksum: 'fletcher4',
  txg,
});

const uberblock = (txg: number) => ({
  version: uberblockVersion,
  txg,
  guidSum: guidSumOf(mirrorConfig(0).deviceGuids),
  timestampMs: txg * 1000,
  root: holePointer(),
});

describe('zfs: labels on devices, and finding pools from them', () => {
  it('labels a mirror, commits uberblocks, and finds the pool with its newest uberblock; a crash mid-commit leaves the old one or the new', async () => {
    const seen = new Set<number | undefined>();
    for (let seed = 1; seed <= 12; seed++) {
      const { disk, drive } = machine(seed);
      const devices = [disk('d0'), disk('d1')];
      await drive(Promise.all(devices.map((device, index) => writeLabels(device, mirrorConfig(index)))));
      for (const txg of [1, 2]) await drive(Promise.all(devices.map((device) => writeUberblock(device, uberblock(txg), 512))));
      let [pool] = findPools(await drive(Promise.all(devices.map(readLabels))));
      expect(pool).to.deep.include({ poolName: 'tank', poolGuid: '00000000000000aa', missing: [] });
      expect(pool!.devices).to.deep.equal(devices);
      expect(pool!.uberblock?.txg).to.equal(2);

      // Group 3's uberblock reaches the rings but no flush follows before the power goes.
      const writeUnflushed = (device: MemoryDevice) =>
        Promise.all(
          labelOffsets(sizeBytes).map((label) => {
            const offset = uberblockSlotOffset(label, 3, 512);
            return device.write(offset, encodeUberblock(uberblock(3), 1024, offset));
          }),
        );
      await drive(Promise.all(devices.map(writeUnflushed)));
      [pool] = findPools(await drive(Promise.all(devices.map(readLabels))));
      expect(pool!.uberblock?.txg, 'before the crash, reads see it').to.equal(3);
      for (const device of devices) device.crash();
      [pool] = findPools(await drive(Promise.all(devices.map(readLabels))));
      seen.add(pool!.uberblock?.txg);
    }
    // Lost, torn or whole on some slot: the import takes group 2 or group 3, never anything else.
    expect([...seen].sort()).to.deep.equal([2, 3]);
  });

  it('finds a device by its back labels when its front ones are gone, and names the devices it did not find', async () => {
    const { disk, drive } = machine(2);
    const devices = [disk('d0'), disk('d1')];
    await drive(Promise.all(devices.map((device, index) => writeLabels(device, mirrorConfig(index)))));
    await drive(Promise.all(devices.map((device) => writeUberblock(device, uberblock(1), 512))));
    // Something overwrote the front of d0.
    await drive(devices[0]!.write(0, new Uint8Array(2 * labelBytes).fill(0x5a)));
    const labels = await drive(readLabels(devices[0]!));
    expect(labels.configs).to.have.length(2);
    const [alone] = findPools([labels]);
    expect(alone!.missing).to.deep.equal(['0000000000000002']);
    expect(alone!.devices).to.deep.equal([devices[0], undefined]);
    expect(alone!.uberblock?.txg, 'its back rings still hold the uberblock').to.equal(1);
  });

  it('tells pools apart, takes the newest configuration a relabelled device holds, and finds nothing on a blank device', async () => {
    const { disk, drive } = machine(3);
    const [a, b, blank] = [disk('a'), disk('b'), disk('blank')];
    await drive(writeLabels(a!, { ...mirrorConfig(0), layout: 'single', deviceGuids: ['0000000000000001'] }));
    await drive(writeLabels(b!, { ...mirrorConfig(0), poolName: 'other', poolGuid: '00000000000000bb', layout: 'single', deviceGuids: ['0000000000000009'] }));
    // Relabelled with a newer configuration: its front pair was rewritten before a crash, its back pair not.
    const newer: LabelConfig = { ...mirrorConfig(0, 5), layout: 'single', deviceGuids: ['0000000000000001'] };
    for (const label of labelOffsets(sizeBytes).slice(0, 2))
      await drive(a!.write(label + configOffsetBytes, encodeLabelConfig(newer, label + configOffsetBytes)));
    await drive(a!.flush());
    a!.crash();
    const found = findPools(await drive(Promise.all([a!, b!, blank!].map(readLabels))));
    expect(found.map((pool) => pool.poolName)).to.deep.equal(['tank', 'other']);
    expect(found[0]!.config.txg, 'the newest configuration').to.equal(5);
    expect(findPools([await drive(readLabels(blank!))])).to.deep.equal([]);
  });

  it('writes labels one request at a time, and imports through a relabel cut short and a stale copy of a device', async () => {
    const { disk: narrow, drive: run } = machine(9, 1);
    const devices = [narrow('n0'), narrow('n1')];
    // A device that takes one request at a time still takes its labels and uberblocks.
    await run(Promise.all(devices.map((device, index) => writeLabels(device, mirrorConfig(index)))));
    await run(Promise.all(devices.map((device) => writeUberblock(device, uberblock(2), 512))));
    // A relabel that adds a third device is cut short after n0's front pair: the labels of n0 now name
    // another device set, whose uberblocks were never written.
    const grown: LabelConfig = { ...mirrorConfig(0, 3), deviceGuids: ['0000000000000001', '0000000000000002', '0000000000000003'] };
    for (const label of labelOffsets(sizeBytes).slice(0, 2))
      await run(devices[0]!.write(label + configOffsetBytes, encodeLabelConfig(grown, label + configOffsetBytes)));
    await run(devices[0]!.flush());
    let [pool] = findPools(await run(Promise.all(devices.map(readLabels))));
    expect(pool!.uberblock?.txg, 'the committed group is still found').to.equal(2);
    expect(pool!.config.deviceGuids, 'and the device set it belongs to').to.deep.equal(mirrorConfig(0).deviceGuids);
    expect(pool!.missing).to.deep.equal([]);

    // An older copy of n1 (an earlier label) listed after it does not take its place.
    const stale = narrow('stale');
    await run(writeLabels(stale, { ...mirrorConfig(1), txg: 0 }));
    [pool] = findPools(await run(Promise.all([...devices, stale].map(readLabels))));
    expect(pool!.devices[1]).to.equal(devices[1]);
  });
});
