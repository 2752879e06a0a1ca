/**
 * What the storage commands (`osprey pool`, `osprey fs`) share: a kernel with the storage subsystem
 * for the length of one command, the device files of a directory (as `zpool import -d` searches
 * one), and failures as one line on stderr with exit status 1.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { storage } from '../actors/zfs/index.js';
import { defaultSubsystems, Kernel } from '../boot/index.js';
import { type BlockDevice, createFileDevice } from '../drivers/block/index.js';

/** Runs `work` on a kernel with the storage subsystem; a failure is one line on stderr and exit status 1. */
export async function withKernel(command: string, work: (kernel: Kernel) => Promise<void>): Promise<void> {
  const kernel = await Kernel.boot({ subsystems: [...defaultSubsystems, storage] });
  try {
    await work(kernel);
  } catch (error) {
    fail(command, error);
  } finally {
    await kernel.shutdown();
  }
}

/** One line on stderr, and exit status 1: what went wrong, without the command's help. */
export function fail(command: string, error: unknown): void {
  const code = (error as { code?: unknown }).code;
  const path = (error as { path?: unknown }).path;
  const message =
    code === 'EEXIST'
      ? `${String(path)} exists already: a device is created as a new file`
      : code === 'ENOENT'
        ? `${String(path)} does not exist`
        : (error as Error).message;
  process.stderr.write(`osprey ${command}: ${message}\n`);
  process.exitCode = 1;
}

/** Opens every regular file of `dir` that is a device, runs `work`, closes them. */
export async function withDevices(command: string, dir: string, work: (devices: BlockDevice[], kernel: Kernel) => Promise<void>): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((entry) => statSync(join(dir, entry)).isFile());
  } catch {
    fail(command, new Error(`cannot read the directory ${dir}`));
    return;
  }
  await withKernel(command, async (kernel) => {
    const devices: BlockDevice[] = [];
    try {
      for (const name of names.sort()) {
        // Files that are no device (the wrong size, say) are not a pool's.
        const device = await createFileDevice(resolve(dir, name)).catch(() => undefined);
        if (device !== undefined) devices.push(device);
      }
      await work(devices, kernel);
    } finally {
      await Promise.all(devices.map((device) => device.close()));
    }
  });
}
