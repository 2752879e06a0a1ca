/**
 * The shared item store against a plain Map, under random sequences of store, get, delete, touch,
 * flush_all and the passing of time (fast-check commands), with HeapItemStore's semantics: expired
 * and flushed items are removed when met (peek included), and one delayed flush is pending at a
 * time, as memcached's `oldest_live`. With room for everything, the two agree exactly, figures
 * included. Under a small cap the store may evict: every item it still has agrees
 * with the model, and the items it lost are exactly the evictions it counted.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { Kernel } from '../../../boot/index.js';
import { virtualMemory } from '../../../actors/vm/subsystem.js';
import { itemHeaderBytes } from '../../../apps/memcached/store/limits-slabs.js';
import { SharedItemStore } from '../../../apps/memcached/store/shared-item-store.js';
import { shutdown } from '../../helpers/kernel.js';
import { bootVm, patterned, sameBytes } from './shared-item-store-fixtures.js';

const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'ключ', 'user:1000', 'k'.repeat(200), 'z'];
const keyBytesOf = (key: string) => new TextEncoder().encode(key).length;

interface ModelItem {
  readonly value: Uint8Array;
  readonly flags: number;
  exptimeMs: number;
  readonly storedMs: number;
}

/** What the store should hold: items by key, the pending flush, the clock, and what eviction took. */
class Model {
  readonly items = new Map<string, ModelItem>();
  /** Items stored at or before it are gone once the clock reaches it; 0: none (memcached's one oldest_live). */
  flushAtMs = 0;
  nowMs = 1_000;
  lost = 0;
  expired = 0;

  constructor(readonly mayEvict: boolean) {}

  /** The live item under `key`, removing an expired or flushed one (as get, peek and delete do). */
  live(key: string): ModelItem | undefined {
    const item = this.items.get(key);
    if (item === undefined) return undefined;
    const expired = item.exptimeMs !== 0 && item.exptimeMs <= this.nowMs;
    const flushed = this.flushAtMs !== 0 && this.flushAtMs <= this.nowMs && item.storedMs <= this.flushAtMs;
    if (!expired && !flushed) return item;
    this.items.delete(key);
    this.expired++;
    return undefined;
  }
}

interface Real {
  readonly store: SharedItemStore;
}

/**
 * After every command: each key the store still has agrees with the model; a key the model has and
 * the store lost must have been evicted (possible only under a cap), and the model forgets it.
 */
function checkAgreement(model: Model, { store }: Real): void {
  for (const key of keys) {
    const expected = model.live(key);
    const actual = store.peek(key, model.nowMs);
    if (actual === undefined) {
      if (expected !== undefined) {
        expect(model.mayEvict, `'${key}' is gone with no eviction allowed`).to.equal(true);
        model.items.delete(key);
        model.lost++;
      }
      continue;
    }
    expect(expected, `the store has '${key}', the model does not`).to.not.equal(undefined);
    expect(actual).to.include({ key, flags: expected!.flags, exptimeMs: expected!.exptimeMs, valueBytes: expected!.value.length });
    expect(sameBytes(store.read(actual), expected!.value), `the value of '${key}'`).to.equal(true);
  }
  const stats = store.stats();
  // An eviction takes one live item (an expired one counts as expired): each is a loss the scan saw.
  expect(model.lost, 'each lost item was an eviction, and each eviction a lost item').to.equal(stats.evictions);
  expect(store.slabStats().pagesCount * (1 << 20)).to.be.at.most(stats.limitBytes);
  if (model.mayEvict) return;
  expect(stats.evictions).to.equal(0);
  expect(stats.items).to.equal(model.items.size);
  expect(stats.expired).to.equal(model.expired);
  let bytes = 0;
  for (const [key, item] of model.items) bytes += itemHeaderBytes + keyBytesOf(key) + item.value.length;
  expect(stats.bytes).to.equal(bytes);
}

type StoreCommand = fc.Command<Model, Real>;

const storeCommand = (key: string, size: number, seed: number, flags: number, ttlMs: number): StoreCommand => ({
  check: () => true,
  run(model, real) {
    const value = patterned(size, seed);
    const exptimeMs = ttlMs === 0 ? 0 : model.nowMs + ttlMs;
    const before = real.store.stats().itemsStored;
    const item = real.store.store(key, flags, exptimeMs, value, model.nowMs);
    if (typeof item === 'string') throw new Error(`the store refused '${key}' of ${size} bytes: ${item}`);
    expect(item.cas).to.equal(before + 1);
    model.items.set(key, { value, flags, exptimeMs, storedMs: model.nowMs });
    checkAgreement(model, real);
  },
  toString: () => `store(${key}, ${size} bytes, ttl ${ttlMs})`,
});

const getCommand = (key: string): StoreCommand => ({
  check: () => true,
  run(model, real) {
    const expected = model.live(key);
    const actual = real.store.get(key, model.nowMs);
    expect(actual === undefined, `get '${key}' hits as the model does`).to.equal(expected === undefined);
    if (actual !== undefined) expect(actual.lastAccessMs).to.equal(model.nowMs);
    checkAgreement(model, real);
  },
  toString: () => `get(${key})`,
});

const deleteCommand = (key: string): StoreCommand => ({
  check: () => true,
  run(model, real) {
    const expected = model.live(key) !== undefined;
    model.items.delete(key);
    expect(real.store.delete(key, model.nowMs)).to.equal(expected);
    checkAgreement(model, real);
  },
  toString: () => `delete(${key})`,
});

const touchCommand = (key: string, ttlMs: number): StoreCommand => ({
  check: () => true,
  run(model, real) {
    const expected = model.live(key);
    const item = real.store.get(key, model.nowMs);
    expect(item === undefined).to.equal(expected === undefined);
    if (item === undefined || expected === undefined) return;
    const exptimeMs = ttlMs === 0 ? 0 : model.nowMs + ttlMs;
    const touched = real.store.touch(item, exptimeMs, model.nowMs);
    expect(touched).to.include({ cas: item.cas, exptimeMs });
    expected.exptimeMs = exptimeMs;
    checkAgreement(model, real);
  },
  toString: () => `touch(${key}, ttl ${ttlMs})`,
});

const flushCommand = (delayMs: number): StoreCommand => ({
  check: () => true,
  run(model, real) {
    const atMs = model.nowMs + delayMs;
    real.store.flushAll(atMs, model.nowMs);
    if (delayMs > 0) {
      model.flushAtMs = atMs;
    } else {
      model.flushAtMs = 0;
      model.items.clear();
    }
    checkAgreement(model, real);
  },
  toString: () => `flushAll(+${delayMs})`,
});

const advanceCommand = (ms: number): StoreCommand => ({
  check: () => true,
  run(model, real) {
    model.nowMs += ms;
    checkAgreement(model, real);
  },
  toString: () => `advance(${ms})`,
});

/** Value sizes from small to `sizeMax`, most of them small. */
const sizesUpTo = (sizeMax: number): fc.Arbitrary<number> =>
  fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: sizeMax }));

function commands(size: fc.Arbitrary<number>): fc.Arbitrary<Iterable<StoreCommand>> {
  const key = fc.constantFrom(...keys);
  const ttl = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 }));
  return fc.commands(
    [
      fc.tuple(key, size, fc.nat(255), fc.nat(), ttl).map(([k, s, seed, flags, t]) => storeCommand(k, s, seed, flags >>> 0, t)),
      key.map(getCommand),
      key.map(deleteCommand),
      fc.tuple(key, ttl).map(([k, t]) => touchCommand(k, t)),
      fc.integer({ min: -100, max: 300 }).map(flushCommand),
      fc.integer({ min: 0, max: 200 }).map(advanceCommand),
    ],
    { maxCommands: 60, size: 'max' },
  );
}

describe('memcached: the shared item store against a model', () => {
  let kernel: Kernel;
  before(async () => {
    kernel = await bootVm(64 << 20);
  });
  after(() => shutdown(kernel));

  const run = (limitBytes: number, size: fc.Arbitrary<number>, mayEvict: boolean, numRuns: number) =>
    fc.assert(
      fc.asyncProperty(commands(size), async (sequence) => {
        const store = await kernel.runUntil(SharedItemStore.create(kernel.subsystem(virtualMemory), { limitBytes }));
        try {
          fc.modelRun(() => ({ model: new Model(mayEvict), real: { store } }), sequence);
          store.check();
        } finally {
          await kernel.runUntil(store.close());
        }
      }),
      { numRuns },
    );

  it('agrees with it exactly when everything fits', () => run(48 << 20, sizesUpTo(20_000), false, 60));

  it('under a 2 MiB cap, agrees on every item it keeps and loses exactly the items it counts as evicted', () => run(2 << 20, sizesUpTo(700_000), true, 60));

  // Items of the class of 394 840-byte chunks, two a page, and small ones: the large evict within their class.
  it('under a 2 MiB cap with large items of one class, which evict within it', () =>
    run(2 << 20, fc.oneof(fc.integer({ min: 316_000, max: 394_000 }), fc.integer({ min: 0, max: 200 })), true, 40));
});
