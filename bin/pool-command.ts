/**
 * `osprey pool`: storage pools on device files, with `zpool`'s verbs (osprey/zfs). Each command
 * boots a kernel with the storage subsystem, imports, works, exports and stops, as `zpool` does on a
 * machine that keeps no pool open between commands.
 *
 * @example
 * ```sh
 * npx osprey pool create tank mirror pool/a.img pool/b.img --size 64M   # makes the files
 * npx osprey pool status tank -d pool                                  # like zpool status
 * npx osprey pool import -d pool                                       # the pools the files hold
 * npx osprey pool scrub tank -d pool                                   # verify and repair every copy
 * npx osprey pool replace tank pool/b.img pool/c.img -d pool           # resilver onto a new file
 * npx osprey pool destroy tank -d pool                                 # no import finds it again
 * ```
 */
import { rmSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import { type ChecksumKind, createPool, importPool, type PoolLayout, type PoolStatus, type ScrubResult, storage } from '../actors/zfs/index.js';
import { devicesSpareOf } from '../actors/zfs/label.js';
import { findPools, readLabels } from '../actors/zfs/label-io.js';
import { type BlockDevice, createFileDevice } from '../drivers/block/index.js';
import { withDevices, withKernel } from './device-files.js';

/** `64M`, `1G`, `512K` or bytes, as zpool and truncate write sizes. */
export function parseSize(text: string): number {
  const match = /^(\d+)([KMGT]?)$/i.exec(text.trim());
  if (match === null) throw new InvalidArgumentError(`'${text}' is not a size: a number of bytes, or with K, M, G or T`);
  const units = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 } as const;
  return Number(match[1]) * units[match[2]!.toUpperCase() as keyof typeof units];
}

/** Collects `-O property=value`: only the properties a pool has here. */
function collectProperty(text: string, properties: Readonly<Record<string, string>>): Record<string, string> {
  const match = /^([a-z]+)=(.+)$/.exec(text);
  if (match === null) throw new InvalidArgumentError(`'${text}' is not property=value`);
  if (match[1] !== 'checksum') throw new InvalidArgumentError(`'${match[1]}' is not a property here: checksum is`);
  return { ...properties, [match[1]]: match[2]! };
}

export function addPoolCommand(program: Command): void {
  const pool = program.command('pool').description('storage pools on device files, with zpool’s verbs');

  pool
    .command('create')
    .description('create a pool on new device files: `create tank a.img`, `create tank mirror a.img b.img` or `create tank raidz1 a.img b.img c.img`')
    .argument('<name>', 'the pool’s name')
    .argument('<devices...>', 'an optional layout (mirror, raidz1 or raidz, raidz2), then the device files to create')
    .requiredOption('--size <size>', 'the size of each device file (64M, 1G, ...)', parseSize)
    .option('-O <property=value>', 'a property of the pool’s file system, as zpool create -O: checksum=fletcher4|sha256', collectProperty, {})
    .action(async (name: string, words: string[], options: { readonly size: number; readonly O: Readonly<Record<string, string>> }) => {
      const named = layoutWords.get(words[0]!);
      const layout = named ?? 'single';
      const files = named === undefined ? words : words.slice(1);
      await withKernel('pool', async (kernel) => {
        const devices: BlockDevice[] = [];
        try {
          // By their absolute paths, which the labels keep, as zpool keeps them: a status run from
          // anywhere can say what a missing device was.
          for (const file of files) devices.push(await createFileDevice(resolve(file), { sizeBytes: options.size, create: true }));
          const checksum = options.O.checksum as ChecksumKind | undefined;
          const created = await createPool(kernel.subsystem(storage), { name, layout, devices, ...(checksum === undefined ? {} : { checksum }) });
          await created.export();
          console.log(`created pool ${name}: ${layout}, ${files.length} device(s) of ${options.size} bytes, guid ${created.guid}`);
        } catch (error) {
          // A pool that was not made leaves no device files behind.
          await Promise.all(devices.map((device) => device.close()));
          for (const device of devices) rmSync(device.name, { force: true });
          devices.length = 0;
          throw error;
        } finally {
          await Promise.all(devices.map((device) => device.close()));
        }
      });
    });

  pool
    .command('status')
    .description('show a pool’s state and each device’s, as zpool status does')
    .argument('<name>', 'the pool’s name')
    .requiredOption('-d, --dir <dir>', 'the directory its device files are in')
    .action(async (name: string, options: { readonly dir: string }) => {
      await withDevices('pool', options.dir, async (devices, kernel) => {
        const imported = await importPool(kernel.subsystem(storage), devices, name);
        const status = imported.status();
        await imported.export();
        console.log(
          formatStatus(
            status,
            imported.blockDevices.map((device) => (device === undefined ? undefined : basename(device.name))),
          ),
        );
      });
    });

  pool
    .command('scrub')
    .description('read and verify every copy of every block, repairing what does not verify, as zpool scrub does')
    .argument('<name>', 'the pool’s name')
    .requiredOption('-d, --dir <dir>', 'the directory its device files are in')
    .action(async (name: string, options: { readonly dir: string }) => {
      await withDevices('pool', options.dir, async (devices, kernel) => {
        const imported = await importPool(kernel.subsystem(storage), devices, name);
        const bar = progressBar(`scrub ${name}`);
        try {
          const mib = (bytes: number) => Math.ceil(bytes / 2 ** 20);
          bar?.start(mib(imported.status().usedBytes), 0);
          const result = await imported.scrub((progress) => bar?.update(mib(progress.examinedBytes)));
          bar?.stop();
          console.log(scanLine(result));
          if (result.unrecoverableBlocks > 0) process.exitCode = 1;
        } finally {
          bar?.stop();
          await imported.export();
        }
      });
    });

  pool
    .command('replace')
    .description('replace a device with a new device file and resilver it, as zpool replace does')
    .argument('<name>', 'the pool’s name')
    .argument('<old>', 'the device to replace: its file, the name status shows for a missing one, or the file status says it was')
    .argument('<new>', 'the device file to create and resilver')
    .requiredOption('-d, --dir <dir>', 'the directory its device files are in')
    .option('--size <size>', 'the size of the new device file (default: that of the largest device found)', parseSize)
    .action(async (name: string, old: string, file: string, options: { readonly dir: string; readonly size?: number }) => {
      await withDevices('pool', options.dir, async (devices, kernel) => {
        const imported = await importPool(kernel.subsystem(storage), devices, name);
        const present = imported.blockDevices.find((device) => device !== undefined && resolve(device.name) === resolve(old))?.name;
        // A missing device by the file status says it was.
        const was = imported.status().devices.some((each) => each.state === 'missing' && each.was === resolve(old));
        const target = present ?? (was ? resolve(old) : old);
        const sizeBytes = options.size ?? Math.max(...imported.blockDevices.map((device) => device?.sizeBytes ?? 0));
        let created: BlockDevice | undefined;
        const bar = progressBar(`resilver ${name}`);
        try {
          created = await createFileDevice(resolve(file), { sizeBytes, create: true });
          const mib = (bytes: number) => Math.ceil(bytes / 2 ** 20);
          bar?.start(mib(imported.status().usedBytes), 0);
          const result = await imported.replace(target, created, (progress) => bar?.update(mib(progress.examinedBytes)));
          bar?.stop();
          console.log(scanLine(result));
          if (result.unrecoverableBlocks > 0) process.exitCode = 1;
        } catch (error) {
          // A device that did not join the pool leaves no file behind.
          if (created !== undefined && !imported.blockDevices.includes(created)) {
            await created.close();
            rmSync(created.name, { force: true });
            created = undefined;
          }
          throw error;
        } finally {
          bar?.stop();
          await imported.export();
          await created?.close();
        }
      });
    });

  pool
    .command('destroy')
    .description('destroy a pool: its devices’ labels are cleared, and no import finds it again')
    .argument('<name>', 'the pool’s name')
    .requiredOption('-d, --dir <dir>', 'the directory its device files are in')
    .action(async (name: string, options: { readonly dir: string }) => {
      await withDevices('pool', options.dir, async (devices, kernel) => {
        await (await importPool(kernel.subsystem(storage), devices, name)).destroy();
      });
    });

  pool
    .command('import')
    .description('list the pools that the device files in a directory hold, as zpool import -d does')
    .requiredOption('-d, --dir <dir>', 'the directory to search for device files')
    .action(async (options: { readonly dir: string }) => {
      await withDevices('pool', options.dir, async (devices) => {
        const found = findPools(await Promise.all(devices.map(readLabels)));
        if (found.length === 0) {
          console.log(`no pools available to import in ${options.dir}`);
          return;
        }
        for (const each of found) {
          // Missing devices the layout covers leave it degraded; more, and it cannot be imported (zpool's UNAVAIL).
          const spare = devicesSpareOf(each.config.layout, each.config.deviceGuids.length);
          const state = each.missing.length === 0 ? 'ONLINE' : each.missing.length <= spare ? 'DEGRADED' : 'UNAVAIL';
          console.log(`   pool: ${each.poolName}\n     id: ${each.poolGuid}\n  state: ${state}\n config: ${each.config.layout}`);
          each.config.deviceGuids.forEach((guid, index) => {
            const device = each.devices[index];
            console.log(`\t${device === undefined ? guid : basename(device.name)}\t${device === undefined ? 'MISSING' : 'ONLINE'}`);
          });
        }
      });
    });
}

/** A progress bar on stderr when it is a terminal, counting MiB; null otherwise. */
function progressBar(title: string): SingleBar | null {
  return process.stderr.isTTY
    ? new SingleBar({ format: `${title} [{bar}] {percentage}% | {value}/{total} MiB`, stream: process.stderr, hideCursor: true })
    : null;
}

/**
 * A finished scan as `zpool status` words it: `scrub repaired 12K in 00:00:01 with 0 errors`, or
 * `resilvered 12K in 00:00:01 with 0 errors`.
 */
export function scanLine(result: ScrubResult): string {
  const seconds = Math.round(result.durationMs / 1000);
  const clock = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60].map((part) => String(part).padStart(2, '0')).join(':');
  const unexamined = result.complete ? '' : ' (blocks under lost metadata not examined)';
  const what = result.kind === 'scrub' ? 'scrub repaired' : 'resilvered';
  return `  scan: ${what} ${formatBytes(result.repairedBytes)} in ${clock} with ${result.unrecoverableBlocks} errors${unexamined}`;
}

/** Bytes as zpool prints them: 0B, 512B, 12K, 3.5M. */
function formatBytes(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 || value >= 10 ? Math.round(value) : value.toFixed(1)}${units[unit]}`;
}

/** The layouts `zpool create` names before its devices; `raidz` is `raidz1`, as in zpool. */
const layoutWords: ReadonlyMap<string, PoolLayout> = new Map([
  ['mirror', 'mirror'],
  ['raidz', 'raidz1'],
  ['raidz1', 'raidz1'],
  ['raidz2', 'raidz2'],
]);

/** A pool's status laid out as `zpool status` lays it out. */
export function formatStatus(status: PoolStatus, files: readonly (string | undefined)[]): string {
  const upper = (state: string) => state.toUpperCase();
  const rows: [string, string, number, number, number, string?][] = [[status.name, upper(status.state), 0, 0, 0]];
  // A single device sits right under the pool; the others under their top-level device, as `mirror-0`.
  const indent = status.layout === 'single' ? '  ' : '    ';
  if (status.layout !== 'single') rows.push([`  ${status.layout}-0`, upper(status.state), 0, 0, 0]);
  status.devices.forEach((device, index) => {
    const label = files[index] ?? device.name;
    // zpool names a missing device by its guid and says what it was.
    if (device.state === 'missing') rows.push([`${indent}${label}`, 'UNAVAIL', 0, 0, 0, device.was === undefined ? '' : `  was ${device.was}`]);
    else rows.push([`${indent}${label}`, upper(device.state), device.readErrors, device.writeErrors, device.checksumErrors]);
  });
  const width = Math.max(12, ...rows.map(([label]) => label.length + 2));
  const line = (cells: readonly (string | number | undefined)[]) =>
    `\t${String(cells[0]).padEnd(width)}${String(cells[1]).padEnd(10)}${String(cells[2]).padStart(4)} ${String(cells[3]).padStart(5)} ${String(cells[4]).padStart(5)}${cells[5] ?? ''}`;
  return [
    `  pool: ${status.name}`,
    ` state: ${upper(status.state)}`,
    ...(status.scan?.state === 'finished' ? [scanLine(status.scan)] : []),
    'config:',
    '',
    line(['NAME', 'STATE', 'READ', 'WRITE', 'CKSUM']),
    ...rows.map(line),
    '',
    'errors: No known data errors',
  ].join('\n');
}
