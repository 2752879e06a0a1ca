/**
 * A file system on a pool (ZFS's dataset, its ZPL cut down): directories of named entries, each a
 * name hash table (directory.ts), and files, each an object of the pool. Object 1 is the root
 * directory. Paths are absolute (`/logs/today.txt`); each name is 1 to 255 UTF-8 bytes, without
 * `/`, NUL, `.` or `..`.
 *
 * Changes live in memory until the pool commits them: `fsync` commits (so do the pool's export and
 * its commit interval), and once it resolves a crash keeps everything done before it. Each call runs
 * in one turn of the pool (`Pool.atomically`): no commit comes between its steps, so a rename or a
 * mkdir is committed whole or not at all. Errors are `FsError`s with the POSIX code a file system
 * would give.
 *
 * @example
 * ```ts
 * const fs = await Dataset.open(pool);
 * await fs.mkdir('/logs');
 * await fs.writeFile('/logs/today.txt', new TextEncoder().encode('hello'));
 * await fs.fsync();
 * (await fs.readdir('/logs')).map((entry) => entry.name); // ['today.txt']
 * ```
 */
import { OspreyError } from '../../ground/errors.js';
import {
  bucketOf,
  bucketOffset,
  type DirectoryEntry,
  type DirectoryHeader,
  decodeHeader,
  directoryBlockBytes,
  type EntryType,
  encodeHeader,
  insertEntry,
  isEntryName,
  readEntries,
  nameBytesMax,
  writeEntries,
  bucketShiftMax,
} from './directory.js';
import type { Pool, PoolObjects, PoolTurn } from './pool.js';

/** What went wrong, as a POSIX file system says it. */
/** ESTALE: a handle to a file that was removed (its number may name another file by now). */
export type FsErrno = 'ENOENT' | 'EEXIST' | 'ENOTDIR' | 'EISDIR' | 'ENOTEMPTY' | 'EINVAL' | 'ENAMETOOLONG' | 'ENOSPC' | 'ESTALE';

export class FsError extends OspreyError {
  readonly code = 'fs';
  constructor(
    readonly errno: FsErrno,
    readonly path: string,
    detail: string,
  ) {
    super(`${errno}: ${path}: ${detail}`);
  }
}

/** What `stat` tells of a file or directory. */
export interface FileStat {
  readonly type: EntryType;
  /** A file's length; a directory's entries. */
  readonly sizeBytes: number;
  readonly objectId: number;
  /** The transaction group that created it. */
  readonly birthTxg: number;
}

/**
 * An open file: the object it is, which stays the same through renames, and the group that object
 * was born in, which tells it from a later object given the same number once the file is removed.
 */
export interface FileHandle {
  readonly objectId: number;
  readonly birthTxg: number;
  readonly path: string;
}

/** The root directory's object number. */
export const rootObjectId = 1;
/** Data blocks of new files: ZFS's recordsize. */
export const fileBlockBytesDefault = 128 << 10;

export class Dataset {
  /** The pool's objects and commit, straight, for the call in its turn (see `run`). */
  private turn: PoolTurn | null = null;

  private constructor(
    /** The pool it is on. */
    readonly pool: Pool,
    readonly fileBlockBytes: number,
  ) {}

  /** The file system on `pool`; a pool without one gets an empty root directory. */
  static async open(pool: Pool, options: { readonly fileBlockBytes?: number } = {}): Promise<Dataset> {
    const dataset = new Dataset(pool, options.fileBlockBytes ?? fileBlockBytesDefault);
    await dataset.run('/', async () => {
      const ids = await dataset.objects.ids();
      if (!ids.includes(rootObjectId)) {
        if (ids.length > 0) throw new FsError('EINVAL', '/', `the pool's objects are not a file system (object ${rootObjectId} is missing)`);
        const root = await dataset.newDirectory();
        if (root !== rootObjectId) throw new FsError('EINVAL', '/', `the root directory became object ${root}`);
      } else if ((await dataset.objects.stat(rootObjectId)).type !== 'directory') {
        throw new FsError('ENOTDIR', '/', `object ${rootObjectId} is not a directory`);
      }
    });
    return dataset;
  }

  private get objects(): PoolObjects {
    if (this.turn === null) throw new Error('a dataset call outside its turn');
    return this.turn.objects;
  }

  mkdir(path: string): Promise<void> {
    return this.run(path, async () => {
      const { parent, name } = await this.parentOf(path);
      if ((await this.lookup(parent, name)) !== undefined) throw new FsError('EEXIST', path, 'it exists');
      await this.linkNew(parent, name, 'directory', path);
    });
  }

  rmdir(path: string): Promise<void> {
    return this.run(path, async () => {
      const { parent, name } = await this.parentOf(path);
      const entry = await this.existing(parent, name, path);
      if (entry.type !== 'directory') throw new FsError('ENOTDIR', path, 'not a directory');
      if ((await this.header(entry.objectId)).entries > 0) throw new FsError('ENOTEMPTY', path, 'the directory is not empty');
      await this.unlinkEntry(parent, name);
      await this.objects.remove(entry.objectId);
    });
  }

  /** The entries of a directory, by name. */
  readdir(path: string): Promise<DirectoryEntry[]> {
    return this.run(path, async () => {
      const id = await this.directoryAt(path);
      return (await this.entries(id)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  stat(path: string): Promise<FileStat> {
    return this.run(path, async () => {
      const entry = await this.resolve(path);
      const dnode = await this.objects.stat(entry.objectId);
      const sizeBytes = entry.type === 'file' ? dnode.sizeBytes : (await this.header(entry.objectId)).entries;
      return { type: entry.type, sizeBytes, objectId: entry.objectId, birthTxg: dnode.birthTxg };
    });
  }

  /**
   * Opens the file at `path`. `create`: make it if it is not there (`exclusive`: fail with EEXIST if
   * it is); `truncate`: cut it to nothing.
   */
  open(path: string, options: { readonly create?: boolean; readonly exclusive?: boolean; readonly truncate?: boolean } = {}): Promise<FileHandle> {
    return this.run(path, async () => {
      const { parent, name } = await this.parentOf(path);
      const found = await this.lookup(parent, name);
      if (found === undefined) {
        if (options.create !== true) throw new FsError('ENOENT', path, 'no such file');
        const objectId = await this.linkNew(parent, name, 'file', path);
        return { objectId, birthTxg: (await this.objects.stat(objectId)).birthTxg, path };
      }
      if (options.create === true && options.exclusive === true) throw new FsError('EEXIST', path, 'it exists');
      if (found.type !== 'file') throw new FsError('EISDIR', path, 'a directory');
      if (options.truncate === true) await this.objects.truncate(found.objectId, 0);
      return { objectId: found.objectId, birthTxg: (await this.objects.stat(found.objectId)).birthTxg, path };
    });
  }

  /**
   * Up to `lengthBytes` from `offsetBytes`, cut at the file's end: into the start of `into` when
   * given (a buffer of at least `lengthBytes` the caller reuses, as with `fs.read`), else a new array.
   *
   * @example
   * ```ts
   * const buffer = new Uint8Array(1 << 20);
   * for (let at = 0; ; at += buffer.byteLength) if ((await fs.read(file, at, buffer.byteLength, buffer)).byteLength === 0) break;
   * ```
   */
  read(file: FileHandle, offsetBytes: number, lengthBytes: number, into?: Uint8Array): Promise<Uint8Array> {
    return this.run(file.path, async () => {
      await this.checkHandle(file);
      return this.objects.read(file.objectId, offsetBytes, lengthBytes, into);
    });
  }

  write(file: FileHandle, offsetBytes: number, data: Uint8Array): Promise<void> {
    return this.run(file.path, async () => {
      await this.checkHandle(file);
      await this.objects.write(file.objectId, offsetBytes, data);
    });
  }

  /** Cuts (or extends with zeros) the file at `path` to `sizeBytes`. */
  truncate(path: string, sizeBytes: number): Promise<void> {
    return this.run(path, async () => {
      const entry = await this.resolve(path);
      if (entry.type !== 'file') throw new FsError('EISDIR', path, 'a directory');
      await this.objects.truncate(entry.objectId, sizeBytes);
    });
  }

  unlink(path: string): Promise<void> {
    return this.run(path, async () => {
      const { parent, name } = await this.parentOf(path);
      const entry = await this.existing(parent, name, path);
      if (entry.type !== 'file') throw new FsError('EISDIR', path, 'a directory: use rmdir');
      await this.unlinkEntry(parent, name);
      await this.objects.remove(entry.objectId);
    });
  }

  /**
   * Moves `from` to `to`, as POSIX's rename: a file replaces a file there, a directory replaces an
   * empty directory, and a directory cannot move into itself.
   */
  rename(from: string, to: string): Promise<void> {
    return this.run(to, async () => {
      const source = await this.parentOf(from);
      const target = await this.parentOf(to);
      const moving = await this.existing(source.parent, source.name, from);
      if (moving.type === 'directory' && normalized(to).startsWith(`${normalized(from)}/`))
        throw new FsError('EINVAL', to, `a directory cannot move into itself (${from})`);
      const replaced = await this.lookup(target.parent, target.name);
      if (replaced !== undefined) {
        if (replaced.objectId === moving.objectId) return;
        if (replaced.type !== moving.type)
          throw new FsError(replaced.type === 'directory' ? 'EISDIR' : 'ENOTDIR', to, `cannot replace a ${replaced.type} with a ${moving.type}`);
        if (replaced.type === 'directory' && (await this.header(replaced.objectId)).entries > 0)
          throw new FsError('ENOTEMPTY', to, 'the directory is not empty');
        await this.unlinkEntry(target.parent, target.name);
        await this.objects.remove(replaced.objectId);
      }
      // The new name first: if it cannot be made (no room), the old one is still there.
      await this.link(target.parent, { ...moving, name: target.name }, to);
      await this.unlinkEntry(source.parent, source.name);
    });
  }

  /** The whole file at `path`. */
  readFile(path: string): Promise<Uint8Array> {
    return this.run(path, async () => {
      const entry = await this.resolve(path);
      if (entry.type !== 'file') throw new FsError('EISDIR', path, 'a directory');
      return this.objects.read(entry.objectId, 0, (await this.objects.stat(entry.objectId)).sizeBytes);
    });
  }

  /** Makes or replaces the file at `path` with `data`, in one turn. */
  writeFile(path: string, data: Uint8Array): Promise<void> {
    return this.run(path, async () => {
      const { parent, name } = await this.parentOf(path);
      let entry = await this.lookup(parent, name);
      if (entry === undefined) entry = { name, type: 'file', objectId: await this.linkNew(parent, name, 'file', path) };
      if (entry.type !== 'file') throw new FsError('EISDIR', path, 'a directory');
      const objectId = entry.objectId;
      await this.objects.truncate(objectId, 0);
      await this.objects.write(objectId, 0, data);
    });
  }

  /** Commits everything changed: once it resolves, a crash keeps it. Returns the transaction group. */
  fsync(): Promise<number> {
    return this.run('/', () => this.turn!.commit());
  }

  /** Runs `operation` in a turn of the pool of its own (see `Pool.atomically`). */
  /**
   * Runs `operation` in a turn of the pool of its own (see `Pool.atomically`); its RangeErrors (a
   * bad offset or length) are EINVAL and a full pool ENOSPC, for `path`.
   */
  private run<T>(path: string, operation: () => Promise<T>): Promise<T> {
    return this.pool.atomically(async (turn) => {
      this.turn = turn;
      try {
        return await operation();
      } catch (error) {
        if (error instanceof RangeError) throw new FsError('EINVAL', path, error.message);
        if ((error as { code?: unknown }).code === 'pool-full') throw new FsError('ENOSPC', path, (error as Error).message);
        throw error;
      } finally {
        this.turn = null;
      }
    });
  }

  /** Makes a new file or directory and its entry in `parent`; if the entry cannot be made, the object goes too. */
  private async linkNew(parent: number, name: string, type: EntryType, path: string): Promise<number> {
    const objectId = type === 'directory' ? await this.newDirectory() : await this.objects.create('file', this.fileBlockBytes);
    try {
      await this.link(parent, { name, type, objectId }, path);
    } catch (error) {
      await this.objects.remove(objectId);
      throw error;
    }
    return objectId;
  }

  /** Throws ESTALE for a handle whose file was removed (its number may name a later object). */
  private async checkHandle(file: FileHandle): Promise<void> {
    const dnode = await this.objects.stat(file.objectId).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === 'no-such-object') return null;
      throw error;
    });
    if (dnode === null || dnode.type !== 'file' || dnode.birthTxg !== file.birthTxg)
      throw new FsError('ESTALE', file.path, 'the file was removed since it was opened');
  }

  private async newDirectory(): Promise<number> {
    const id = await this.objects.create('directory', directoryBlockBytes);
    await this.objects.write(id, 0, encodeHeader({ shift: 0, entries: 0 }));
    return id;
  }

  /** The entry `path` names; `/` is the root directory. */
  private async resolve(path: string): Promise<DirectoryEntry> {
    const names = componentsOf(path);
    let entry: DirectoryEntry = { name: '', type: 'directory', objectId: rootObjectId };
    for (const [index, name] of names.entries()) {
      if (entry.type !== 'directory') throw new FsError('ENOTDIR', `/${names.slice(0, index).join('/')}`, 'not a directory');
      const next = await this.lookup(entry.objectId, name);
      if (next === undefined) throw new FsError('ENOENT', `/${names.slice(0, index + 1).join('/')}`, 'no such file or directory');
      entry = next;
    }
    return entry;
  }

  private async directoryAt(path: string): Promise<number> {
    const entry = await this.resolve(path);
    if (entry.type !== 'directory') throw new FsError('ENOTDIR', path, 'not a directory');
    return entry.objectId;
  }

  /** The directory that holds `path`'s last name, and that name. */
  private async parentOf(path: string): Promise<{ parent: number; name: string }> {
    const names = componentsOf(path);
    const name = names.pop();
    if (name === undefined) throw new FsError('EINVAL', path, 'the root directory has no parent');
    return { parent: await this.directoryAt(`/${names.join('/')}`), name };
  }

  private async existing(directory: number, name: string, path: string): Promise<DirectoryEntry> {
    const entry = await this.lookup(directory, name);
    if (entry === undefined) throw new FsError('ENOENT', path, 'no such file or directory');
    return entry;
  }

  private async header(directory: number): Promise<DirectoryHeader> {
    return decodeHeader(await this.objects.read(directory, 0, directoryBlockBytes));
  }

  private async bucket(directory: number, index: number): Promise<Uint8Array> {
    const bytes = await this.objects.read(directory, bucketOffset(index), directoryBlockBytes);
    const bucket = new Uint8Array(directoryBlockBytes);
    bucket.set(bytes);
    return bucket;
  }

  private async lookup(directory: number, name: string): Promise<DirectoryEntry | undefined> {
    const { shift } = await this.header(directory);
    return readEntries(await this.bucket(directory, bucketOf(name, shift))).find((entry) => entry.name === name);
  }

  private async entries(directory: number): Promise<DirectoryEntry[]> {
    const { shift } = await this.header(directory);
    const entries: DirectoryEntry[] = [];
    for (let index = 0; index < 2 ** shift; index++) entries.push(...readEntries(await this.bucket(directory, index)));
    return entries;
  }

  /** Adds `entry` to `directory`, doubling its table until the entry's bucket has room. */
  private async link(directory: number, entry: DirectoryEntry, path: string): Promise<void> {
    const header = await this.header(directory);
    const index = bucketOf(entry.name, header.shift);
    const bucket = await this.bucket(directory, index);
    if (insertEntry(bucket, entry)) {
      await this.objects.write(directory, bucketOffset(index), bucket);
    } else {
      const all = [...(await this.entries(directory)), entry];
      for (let shift = header.shift + 1; ; shift++) {
        if (shift > bucketShiftMax) throw new FsError('ENOSPC', path, `the directory's table cannot grow past 2^${bucketShiftMax} buckets`);
        const buckets = Array.from({ length: 2 ** shift }, () => [] as DirectoryEntry[]);
        for (const each of all) buckets[bucketOf(each.name, shift)]!.push(each);
        const blocks = buckets.map((entries) => {
          const block = new Uint8Array(directoryBlockBytes);
          return writeEntries(block, entries) ? block : null;
        });
        if (blocks.some((block) => block === null)) continue;
        for (const [at, block] of blocks.entries()) await this.objects.write(directory, bucketOffset(at), block!);
        await this.objects.write(directory, 0, encodeHeader({ shift, entries: header.entries + 1 }));
        return;
      }
    }
    await this.objects.write(directory, 0, encodeHeader({ shift: header.shift, entries: header.entries + 1 }));
  }

  private async unlinkEntry(directory: number, name: string): Promise<void> {
    const header = await this.header(directory);
    const index = bucketOf(name, header.shift);
    const bucket = await this.bucket(directory, index);
    writeEntries(
      bucket,
      readEntries(bucket).filter((entry) => entry.name !== name),
    );
    // Taking an entry out gives room back: it may use the room a pool keeps back, so a full pool can be emptied.
    await this.objects.write(directory, bucketOffset(index), bucket, { useReserve: true });
    await this.objects.write(directory, 0, encodeHeader({ shift: header.shift, entries: header.entries - 1 }), { useReserve: true });
  }
}

/** The names of an absolute path; throws FsError for a path that is not one. */
function componentsOf(path: string): string[] {
  if (!path.startsWith('/')) throw new FsError('EINVAL', path, 'a path starts with /');
  const names = path.split('/').filter((name) => name !== '');
  for (const name of names) {
    if (new TextEncoder().encode(name).byteLength > nameBytesMax) throw new FsError('ENAMETOOLONG', path, `a name is longer than ${nameBytesMax} bytes`);
    if (!isEntryName(name)) throw new FsError('EINVAL', path, `${JSON.stringify(name)} cannot be a name`);
  }
  return names;
}

function normalized(path: string): string {
  return `/${componentsOf(path).join('/')}`;
}
