/**
 * Goal: HeapItemStore keeps the ItemStore contract: what a Map of live items says, under a cap
 * it never passes, evicting the least recently used.
 * Method: fast-check command sequences (store, get, peek, touch, delete, flushAll, time passing) run
 * against the store with a cap large enough never to evict and against a tiny Map model; then
 * eviction order and the byte cap checked on their own.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { HeapItemStore } from '../../../apps/memcached/store/heap-item-store.js';
import { itemOverheadBytes } from '../../../apps/memcached/store/item-store.js';

interface ModelItem {
  flags: number;
  exptimeMs: number;
  value: number[];
  storedMs: number;
}

type Step =
  | { readonly kind: 'store'; readonly key: string; readonly flags: number; readonly ttlMs: number; readonly value: Uint8Array }
  | { readonly kind: 'get' | 'peek' | 'delete'; readonly key: string }
  | { readonly kind: 'touch'; readonly key: string; readonly ttlMs: number }
  | { readonly kind: 'flush'; readonly delayMs: number }
  | { readonly kind: 'wait'; readonly ms: number };

const key = fc.constantFrom('a', 'b', 'c', 'd');
const ttlMs = fc.constantFrom(0, 5, 50);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('store' as const), key, flags: fc.nat(), ttlMs, value: fc.uint8Array({ maxLength: 8 }) }),
  fc.record({ kind: fc.constantFrom('get' as const, 'peek' as const, 'delete' as const), key }),
  fc.record({ kind: fc.constant('touch' as const), key, ttlMs }),
  fc.record({ kind: fc.constant('flush' as const), delayMs: fc.constantFrom(0, 0, 10) }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 20 }) }),
);

describe('HeapItemStore', () => {
  it('agrees with a Map model of live items', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const store = new HeapItemStore({ limitBytes: 1 << 20 });
        const model = new Map<string, ModelItem>();
        let flushAtMs = 0;
        let nowMs = 1;
        const live = (name: string): ModelItem | undefined => {
          const item = model.get(name);
          if (item === undefined) return undefined;
          const gone = (item.exptimeMs !== 0 && item.exptimeMs <= nowMs) || (flushAtMs !== 0 && flushAtMs <= nowMs && item.storedMs <= flushAtMs);
          if (gone) model.delete(name);
          return gone ? undefined : item;
        };
        for (const action of steps) {
          switch (action.kind) {
            case 'store': {
              const exptimeMs = action.ttlMs === 0 ? 0 : nowMs + action.ttlMs;
              const item = store.store(action.key, action.flags, exptimeMs, action.value, nowMs);
              expect(item).to.be.an('object');
              model.set(action.key, { flags: action.flags, exptimeMs, value: [...action.value], storedMs: nowMs });
              break;
            }
            case 'get':
            case 'peek': {
              const item = action.kind === 'get' ? store.get(action.key, nowMs) : store.peek(action.key, nowMs);
              const expected = live(action.key);
              if (expected === undefined) expect(item).to.equal(undefined);
              else {
                expect(item).to.deep.include({ key: action.key, flags: expected.flags, exptimeMs: expected.exptimeMs, valueBytes: expected.value.length });
                expect([...store.read(item!)]).to.deep.equal(expected.value);
              }
              break;
            }
            case 'delete':
              expect(store.delete(action.key, nowMs)).to.equal(live(action.key) !== undefined);
              model.delete(action.key);
              break;
            case 'touch': {
              const item = store.get(action.key, nowMs);
              const expected = live(action.key);
              expect(item !== undefined).to.equal(expected !== undefined);
              if (item !== undefined && expected !== undefined) {
                const exptimeMs = action.ttlMs === 0 ? 0 : nowMs + action.ttlMs;
                const touched = store.touch(item, exptimeMs, nowMs);
                expect(touched.cas).to.equal(item.cas);
                expected.exptimeMs = exptimeMs;
              }
              break;
            }
            case 'flush':
              store.flushAll(nowMs + action.delayMs, nowMs);
              if (action.delayMs === 0) {
                model.clear();
                flushAtMs = 0;
              } else flushAtMs = nowMs + action.delayMs;
              break;
            case 'wait':
              nowMs += action.ms;
              break;
          }
          const stats = store.stats();
          expect(stats.bytes).to.be.at.most(stats.limitBytes);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('gives every store a larger cas', () => {
    const store = new HeapItemStore({ limitBytes: 1 << 20 });
    const first = store.store('a', 0, 0, new Uint8Array(1), 0);
    const second = store.store('a', 0, 0, new Uint8Array(1), 0);
    expect(typeof first !== 'string' && typeof second !== 'string' && second.cas > first.cas).to.equal(true);
  });

  it('evicts the least recently used to stay under its cap', () => {
    const itemBytes = 1 + 10 + itemOverheadBytes;
    const store = new HeapItemStore({ limitBytes: itemBytes * 3 });
    for (const name of ['a', 'b', 'c']) store.store(name, 0, 0, new Uint8Array(10), 0);
    store.get('a', 1);
    store.store('d', 0, 0, new Uint8Array(10), 2);
    expect(['a', 'b', 'c', 'd'].map((name) => store.peek(name, 3) !== undefined)).to.deep.equal([true, false, true, true]);
    expect(store.stats()).to.deep.include({ items: 3, bytes: itemBytes * 3, evictions: 1 });
  });

  it('refuses items over its item limit or its cap', () => {
    const store = new HeapItemStore({ limitBytes: 200, itemBytesMax: 100 });
    expect(store.store('k', 0, 0, new Uint8Array(100), 0)).to.equal('too-large');
    expect(new HeapItemStore({ limitBytes: 100, itemBytesMax: 100 }).store('k', 0, 0, new Uint8Array(90), 0)).to.equal('out-of-memory');
  });
});
