/**
 * `osprey fs`: files in a pool's file system (osprey/zfs's Dataset), named `POOL:/path`. Each command
 * imports the pool from the device files of `-d DIR`, works, and exports it (which commits), as
 * `osprey pool` does. A put copies into `.NAME.put` beside the file, then renames it over the file. Copies of more than 8 MiB show a progress bar on a terminal.
 *
 * @example
 * ```sh
 * npx osprey fs mkdir tank:/notes -d pool
 * npx osprey fs put tank:/notes/today.txt ./today.txt -d pool
 * npx osprey fs ls tank:/notes -d pool          # today.txt
 * npx osprey fs cat tank:/notes/today.txt -d pool
 * ```
 */
import { open as openLocal } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { Dataset, importPool, storage } from '../actors/zfs/index.js';
import { withDevices } from './device-files.js';

/** A file of a pool, as the commands name it: `tank:/notes/today.txt`. */
export interface PoolPath {
  readonly pool: string;
  readonly path: string;
}

export function parsePoolPath(text: string): PoolPath {
  const colon = text.indexOf(':');
  if (colon <= 0 || text[colon + 1] !== '/') throw new InvalidArgumentError(`'${text}' is not POOL:/path (tank:/notes/today.txt)`);
  return { pool: text.slice(0, colon), path: text.slice(colon + 1) };
}

/** Bytes copied per step between a local file and the pool. */
const copyChunkBytes = 1 << 20;
/** Copies longer than this show a progress bar, on a terminal. */
const progressBytesMin = 8 << 20;

export function addFsCommand(program: Command): void {
  const fs = program.command('fs').description('files in a pool’s file system, named POOL:/path');
  const dirOption = ['-d, --dir <dir>', 'the directory the pool’s device files are in'] as const;

  fs.command('put')
    .description('copy a local file into the pool (made, or replaced)')
    .argument('<target>', 'POOL:/path', parsePoolPath)
    .argument('<local>', 'the local file')
    .requiredOption(...dirOption)
    .action((target: PoolPath, local: string, options: { readonly dir: string }) =>
      onDataset(target, options.dir, async (dataset) => {
        const source = await openLocal(local, 'r');
        try {
          const { size } = await source.stat();
          // Into a name of its own first, then renamed over the file in one turn: a put cut short
          // leaves the file as it was, although the pool commits on its own as the copy goes.
          const slash = target.path.lastIndexOf('/');
          const staging = `${target.path.slice(0, slash)}/.${target.path.slice(slash + 1)}.put`;
          const file = await dataset.open(staging, { create: true, truncate: true });
          await copyWithProgress(size, `put ${target.path}`, async (offset, length) => {
            const chunk = new Uint8Array(length);
            const { bytesRead } = await source.read(chunk, 0, length, offset);
            await dataset.write(file, offset, chunk.subarray(0, bytesRead));
          });
          await dataset.rename(staging, target.path);
        } finally {
          await source.close();
        }
      }),
    );

  fs.command('get')
    .description('copy a file of the pool to a local file (made, or replaced)')
    .argument('<source>', 'POOL:/path', parsePoolPath)
    .argument('<local>', 'the local file')
    .requiredOption(...dirOption)
    .action((source: PoolPath, local: string, options: { readonly dir: string }) =>
      onDataset(source, options.dir, async (dataset) => {
        const file = await dataset.open(source.path);
        const { sizeBytes } = await dataset.stat(source.path);
        const target = await openLocal(local, 'w');
        try {
          await copyWithProgress(sizeBytes, `get ${source.path}`, async (offset, length) => {
            await target.write(await dataset.read(file, offset, length), 0, length, offset);
          });
        } finally {
          await target.close();
        }
      }),
    );

  fs.command('cat')
    .description('print a file of the pool')
    .argument('<file>', 'POOL:/path', parsePoolPath)
    .requiredOption(...dirOption)
    .action((file: PoolPath, options: { readonly dir: string }) =>
      onDataset(file, options.dir, async (dataset) => {
        process.stdout.write(await dataset.readFile(file.path));
      }),
    );

  fs.command('ls')
    .description('list a directory of the pool, directories ending in /')
    .argument('<directory>', 'POOL:/path', parsePoolPath)
    .requiredOption(...dirOption)
    .action((directory: PoolPath, options: { readonly dir: string }) =>
      onDataset(directory, options.dir, async (dataset) => {
        for (const entry of await dataset.readdir(directory.path)) console.log(entry.type === 'directory' ? `${entry.name}/` : entry.name);
      }),
    );

  fs.command('stat')
    .description('show a file’s or directory’s type, size, object number and birth transaction group')
    .argument('<path>', 'POOL:/path', parsePoolPath)
    .requiredOption(...dirOption)
    .action((target: PoolPath, options: { readonly dir: string }) =>
      onDataset(target, options.dir, async (dataset) => {
        const stat = await dataset.stat(target.path);
        const size = stat.type === 'file' ? `${stat.sizeBytes} bytes` : `${stat.sizeBytes} entries`;
        console.log(`  File: ${target.pool}:${target.path}\n  Type: ${stat.type}\n  Size: ${size}\nObject: ${stat.objectId}\n  Born: txg ${stat.birthTxg}`);
      }),
    );

  fs.command('mkdir')
    .description('make a directory in the pool')
    .argument('<directory>', 'POOL:/path', parsePoolPath)
    .requiredOption(...dirOption)
    .action((directory: PoolPath, options: { readonly dir: string }) => onDataset(directory, options.dir, (dataset) => dataset.mkdir(directory.path)));

  fs.command('rm')
    .description('remove a file of the pool, or an empty directory with --directory')
    .argument('<path>', 'POOL:/path', parsePoolPath)
    .requiredOption(...dirOption)
    .option('--directory', 'remove an empty directory (rmdir)')
    .action((target: PoolPath, options: { readonly dir: string; readonly directory?: boolean }) =>
      onDataset(target, options.dir, (dataset) => (options.directory === true ? dataset.rmdir(target.path) : dataset.unlink(target.path))),
    );
}

/**
 * Imports `target.pool` from the device files in `dir`, runs `work` on its file system, and exports
 * it, which commits; a `work` that fails commits nothing of what it did (a put cut short leaves the
 * file as it was).
 */
async function onDataset(target: PoolPath, dir: string, work: (dataset: Dataset) => Promise<void>): Promise<void> {
  await withDevices('fs', dir, async (devices, kernel) => {
    const pool = await importPool(kernel.subsystem(storage), devices, target.pool);
    try {
      await work(await Dataset.open(pool));
    } catch (error) {
      await pool.abandon();
      throw error;
    }
    await pool.export();
  });
}

/** Runs `step` over `totalBytes` in chunks, with a progress bar when the copy is long and stderr a terminal. */
async function copyWithProgress(totalBytes: number, label: string, step: (offsetBytes: number, lengthBytes: number) => Promise<void>): Promise<void> {
  const bar =
    totalBytes >= progressBytesMin && process.stderr.isTTY
      ? new SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total} MiB`, stream: process.stderr, hideCursor: true })
      : null;
  bar?.start(Math.ceil(totalBytes / (1 << 20)), 0);
  try {
    for (let offset = 0; offset < totalBytes; offset += copyChunkBytes) {
      await step(offset, Math.min(copyChunkBytes, totalBytes - offset));
      bar?.update(Math.ceil(Math.min(totalBytes, offset + copyChunkBytes) / (1 << 20)));
    }
  } finally {
    bar?.stop();
  }
}
