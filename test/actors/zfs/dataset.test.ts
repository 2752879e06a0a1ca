/**
 * The file API on a pool, fsx-style: long random sequences of mkdir, writes at random offsets,
 * truncations, unlinks, rmdirs, renames, reads and readdirs, with fsyncs and export/import in the
 * middle, against a model of paths (a set of directories and a map of files). Every call must give
 * what the model gives: the same bytes, the same names, or the same POSIX error. Names come from a
 * small alphabet, so paths collide and every error path is taken.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Dataset, FsError } from '../../../actors/zfs/dataset.js';
import { createPool, importPool, type Pool } from '../../../actors/zfs/pool.js';
import { storage } from '../../../actors/zfs/subsystem.js';
import { defaultSubsystems, Kernel } from '../../../boot/index.js';
import { createMemoryDevice } from '../../../drivers/block/index.js';

type Op =
  | { readonly kind: 'mkdir' | 'rmdir' | 'unlink' | 'read' | 'readdir' | 'stat'; readonly path: string }
  | { readonly kind: 'writeFile'; readonly path: string; readonly length: number; readonly byte: number }
  | { readonly kind: 'write'; readonly path: string; readonly offset: number; readonly length: number; readonly byte: number }
  | { readonly kind: 'truncate'; readonly path: string; readonly size: number }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string }
  | { readonly kind: 'fsync' | 'reimport' };

// Mostly one or two names deep, so that paths collide often.
const path = fc
  .oneof(
    { weight: 3, arbitrary: fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 2 }) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom('a', 'b'), { minLength: 3, maxLength: 3 }) },
  )
  .map((names) => `/${names.join('/')}`);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constantFrom('mkdir' as const, 'rmdir' as const, 'unlink' as const, 'read' as const, 'readdir' as const, 'stat' as const),
      path,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('writeFile' as const), path, length: fc.integer({ min: 0, max: 9_000 }), byte: fc.integer({ min: 1, max: 255 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      path,
      offset: fc.integer({ min: 0, max: 12_000 }),
      length: fc.integer({ min: 1, max: 6_000 }),
      byte: fc.integer({ min: 1, max: 255 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), path, size: fc.integer({ min: 0, max: 15_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rename' as const), from: path, to: path }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('fsync' as const, 'reimport' as const) }) },
);

/** The model: which paths are directories and which are files with what bytes. */
class Model {
  readonly dirs = new Set<string>(['/']);
  readonly files = new Map<string, Uint8Array>();

  kind(path: string): 'directory' | 'file' | undefined {
    return this.dirs.has(path) ? 'directory' : this.files.has(path) ? 'file' : undefined;
  }

  /** The error resolving every name of `path` but the last gives, or null. */
  parentError(path: string): string | null {
    const names = path.split('/').filter(Boolean);
    names.pop();
    let at = '';
    for (const name of names) {
      at = `${at}/${name}`;
      const kind = this.kind(at);
      if (kind === undefined) return 'ENOENT';
      if (kind === 'file') return 'ENOTDIR';
    }
    return null;
  }

  children(dir: string): string[] {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    return [...this.dirs, ...this.files.keys()].filter((each) => each !== dir && each.startsWith(prefix) && !each.slice(prefix.length).includes('/'));
  }

  /** What the call gives: a value, or the errno it fails with. */
  apply(step: Op): { errno: string } | { value: unknown } {
    const fail = (errno: string) => ({ errno });
    switch (step.kind) {
      case 'mkdir': {
        const error = this.parentError(step.path);
        if (error !== null) return fail(error);
        if (this.kind(step.path) !== undefined) return fail('EEXIST');
        this.dirs.add(step.path);
        return { value: undefined };
      }
      case 'write': {
        const error = this.parentError(step.path);
        if (error !== null) return fail(error);
        if (this.kind(step.path) === 'directory') return fail('EISDIR');
        const old = this.files.get(step.path) ?? new Uint8Array(0);
        const next = new Uint8Array(Math.max(old.byteLength, step.offset + step.length));
        next.set(old);
        next.fill(step.byte, step.offset, step.offset + step.length);
        this.files.set(step.path, next);
        return { value: undefined };
      }
      case 'writeFile': {
        const error = this.parentError(step.path);
        if (error !== null) return fail(error);
        if (this.kind(step.path) === 'directory') return fail('EISDIR');
        this.files.set(step.path, new Uint8Array(step.length).fill(step.byte));
        return { value: undefined };
      }
      case 'stat': {
        const error = this.parentError(step.path);
        if (error !== null) return fail(error);
        const kind = this.kind(step.path);
        if (kind === undefined) return fail('ENOENT');
        return { value: { type: kind, sizeBytes: kind === 'file' ? this.files.get(step.path)!.byteLength : this.children(step.path).length } };
      }
      case 'truncate': {
        const error = this.parentError(step.path);
        if (error !== null) return fail(error);
        const kind = this.kind(step.path);
        if (kind === undefined) return fail('ENOENT');
        if (kind === 'directory') return fail('EISDIR');
        const next = new Uint8Array(step.size);
        next.set(this.files.get(step.path)!.subarray(0, step.size));
        this.files.set(step.path, next);
        return { value: undefined };
      }
      case 'unlink':
      case 'rmdir': {
        const error = this.parentError(step.path);
        if (error !== null) return fail(error);
        const kind = this.kind(step.path);
        if (kind === undefined) return fail('ENOENT');
        if (step.kind === 'unlink') {
          if (kind === 'directory') return fail('EISDIR');
          this.files.delete(step.path);
        } else {
          if (kind === 'file') return fail('ENOTDIR');
          if (this.children(step.path).length > 0) return fail('ENOTEMPTY');
          this.dirs.delete(step.path);
        }
        return { value: undefined };
      }
      case 'read': {
        const error = this.parentError(step.path);
        if (error !== null) return fail(error);
        const kind = this.kind(step.path);
        if (kind === undefined) return fail('ENOENT');
        if (kind === 'directory') return fail('EISDIR');
        return { value: this.files.get(step.path) };
      }
      case 'readdir': {
        const kind = this.kind(step.path);
        const error = this.parentError(step.path);
        if (error !== null) return fail(error);
        if (kind === undefined) return fail('ENOENT');
        if (kind === 'file') return fail('ENOTDIR');
        return {
          value: this.children(step.path)
            .map((child) => child.slice(child.lastIndexOf('/') + 1))
            .sort(),
        };
      }
      case 'rename': {
        const { from, to } = step;
        const error = this.parentError(from) ?? this.parentError(to);
        if (error !== null) return fail(error);
        const moving = this.kind(from);
        if (moving === undefined) return fail('ENOENT');
        if (moving === 'directory' && to.startsWith(`${from}/`)) return fail('EINVAL');
        const replaced = this.kind(to);
        if (to === from) return { value: undefined };
        if (replaced !== undefined) {
          if (replaced !== moving) return fail(replaced === 'directory' ? 'EISDIR' : 'ENOTDIR');
          if (replaced === 'directory' && this.children(to).length > 0) return fail('ENOTEMPTY');
          this.dirs.delete(to);
          this.files.delete(to);
        }
        const move = (old: string) => `${to}${old.slice(from.length)}`;
        const moved = (each: string) => each === from || each.startsWith(`${from}/`);
        const dirs = [...this.dirs].filter(moved);
        const files = [...this.files].filter(([file]) => moved(file));
        for (const dir of dirs) this.dirs.delete(dir);
        for (const [file] of files) this.files.delete(file);
        for (const dir of dirs) this.dirs.add(move(dir));
        for (const [file, bytes] of files) this.files.set(move(file), bytes);
        return { value: undefined };
      }
      default:
        return { value: undefined };
    }
  }
}

async function call(fs: Dataset, step: Op): Promise<{ errno: string } | { value: unknown }> {
  try {
    switch (step.kind) {
      case 'mkdir':
        return { value: await fs.mkdir(step.path) };
      case 'write': {
        const file = await fs.open(step.path, { create: true });
        return { value: await fs.write(file, step.offset, new Uint8Array(step.length).fill(step.byte)) };
      }
      case 'writeFile':
        return { value: await fs.writeFile(step.path, new Uint8Array(step.length).fill(step.byte)) };
      case 'stat': {
        const { type, sizeBytes } = await fs.stat(step.path);
        return { value: { type, sizeBytes } };
      }
      case 'truncate':
        return { value: await fs.truncate(step.path, step.size) };
      case 'unlink':
        return { value: await fs.unlink(step.path) };
      case 'rmdir':
        return { value: await fs.rmdir(step.path) };
      case 'read': {
        const whole = await fs.readFile(step.path);
        // Read again through a handle into a buffer that holds other bytes (holes must come back zero).
        const into = new Uint8Array(whole.byteLength + 100).fill(0xee);
        const again = await fs.read(await fs.open(step.path), 0, into.byteLength, into);
        if (again.buffer !== into.buffer || !Buffer.from(again).equals(Buffer.from(whole))) throw new Error(`a read into a buffer of ${step.path} differs`);
        return { value: whole };
      }
      case 'readdir':
        return { value: (await fs.readdir(step.path)).map((entry) => entry.name) };
      case 'rename':
        return { value: await fs.rename(step.from, step.to) };
      default:
        return { value: undefined };
    }
  } catch (error) {
    if (error instanceof FsError) return { errno: error.errno };
    throw error;
  }
}

const layouts = [
  { layout: 'mirror', devices: 2 },
  { layout: 'raidz1', devices: 3 },
  { layout: 'raidz2', devices: 4 },
] as const;

describe('zfs dataset: the file API against a model (fsx)', function () {
  this.timeout(120_000);

  it('agrees with the model through random operations, fsyncs and imports', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1000 }), fc.array(op, { minLength: 20, maxLength: 60, size: 'max' }), async (seed, steps) => {
        const kernel = await Kernel.boot({ mode: 'simulated', seed, subsystems: [...defaultSubsystems, storage] });
        const zfs = kernel.subsystem(storage);
        // Every layout in turn: a mirror of two, RAID-Z1 of three, RAID-Z2 of four.
        const layout = layouts[seed % layouts.length]!;
        const devices = Array.from({ length: layout.devices }, (_, index) =>
          createMemoryDevice({
            name: `d${index}`,
            sizeBytes: 8 << 20,
            clock: kernel.clock,
            random: kernel.random.stream(`d${index}`),
            faults: { latencyMs: [0, 0.5] },
          }),
        );
        // Half the runs with a cache of 16 blocks: blocks are evicted all the time, and their memory
        // holds the changes of later groups.
        const options = Math.floor(seed / layouts.length) % 2 === 0 ? { cacheBytes: 64 << 10 } : {};
        let pool: Pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: layout.layout, devices, ...options }));
        let fs = await kernel.runUntil(Dataset.open(pool, { fileBlockBytes: 4096 }));
        const model = new Model();
        for (const step of steps) {
          if (step.kind === 'fsync') {
            await kernel.runUntil(fs.fsync());
            continue;
          }
          if (step.kind === 'reimport') {
            await kernel.runUntil(pool.export());
            pool = await kernel.runUntil(importPool(zfs, devices, 'tank', options));
            fs = await kernel.runUntil(Dataset.open(pool, { fileBlockBytes: 4096 }));
            continue;
          }
          const expected = model.apply(step);
          const got = await kernel.runUntil(call(fs, step));
          if ('errno' in expected) expect(got, JSON.stringify(step)).to.deep.equal(expected);
          else if (got instanceof Object && 'value' in got && got.value instanceof Uint8Array)
            expect(Buffer.from(got.value).equals(expected.value as Uint8Array), JSON.stringify(step)).to.equal(true);
          else expect(got, JSON.stringify(step)).to.deep.equal(expected);
        }
        await kernel.runUntil(pool.export());
        await kernel.runUntil(kernel.shutdown());
      }),
      { numRuns: 30 },
    );
  });

  it('grows a directory’s hash table past one bucket, and finds every name again after an import', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 5, subsystems: [...defaultSubsystems, storage] });
    const zfs = kernel.subsystem(storage);
    const device = createMemoryDevice({ name: 'd', sizeBytes: 8 << 20, clock: kernel.clock, random: kernel.random.stream('d') });
    const pool = await kernel.runUntil(createPool(zfs, { name: 'tank', layout: 'single', devices: [device] }));
    const fs = await kernel.runUntil(Dataset.open(pool, { fileBlockBytes: 4096 }));
    await kernel.runUntil(fs.mkdir('/many'));
    const names = Array.from({ length: 600 }, (_, index) => `entry-${index}-${'x'.repeat(index % 40)}`);
    for (const name of names) await kernel.runUntil(fs.writeFile(`/many/${name}`, new TextEncoder().encode(name)));
    await kernel.runUntil(pool.export());
    const again = await kernel.runUntil(importPool(zfs, [device], 'tank'));
    const reopened = await kernel.runUntil(Dataset.open(again));
    expect((await kernel.runUntil(reopened.readdir('/many'))).map((entry) => entry.name)).to.deep.equal([...names].sort());
    expect((await kernel.runUntil(reopened.stat('/many'))).sizeBytes).to.equal(600);
    for (const name of names.slice(0, 50)) expect(new TextDecoder().decode(await kernel.runUntil(reopened.readFile(`/many/${name}`)))).to.equal(name);
    const refusals = await kernel.runUntil(
      Promise.all(['relative', '/many/..', `/${'n'.repeat(256)}`, '/'].map((bad) => reopened.mkdir(bad).catch((error: FsError) => error.errno))),
    );
    expect(refusals).to.deep.equal(['EINVAL', 'EINVAL', 'ENAMETOOLONG', 'EINVAL']);
    await kernel.runUntil(again.export());
    await kernel.runUntil(kernel.shutdown());
  });
});
