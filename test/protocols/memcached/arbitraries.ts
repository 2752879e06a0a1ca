/**
 * fast-check arbitraries for memcached requests: every command a client can send, with keys,
 * numbers and meta flags in the ranges the protocol allows, built so that encoding then parsing
 * gives the same command back.
 */
import fc from 'fast-check';
import type { EncodableCommand, MetaFlags, MetaSetMode } from '../../../protocols/memcached/index.js';
import { metaFlags } from '../../../protocols/memcached/index.js';

const keyCharacter = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code));
export const keyArbitrary = fc.string({ unit: keyCharacter, minLength: 1, maxLength: 250 });
const shortKey = fc.string({ unit: keyCharacter, minLength: 1, maxLength: 12 });
const binaryKey = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 180 });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const value = fc.uint8Array({ maxLength: 64 });
const noreply = fc.boolean();

/** Meta flags drawn from `letters` (each at most once, in any order), with values for those that take one. */
function metaFlagsArbitrary(letters: string, mode: string | null = null): fc.Arbitrary<MetaFlags> {
  return fc
    .record({
      chosen: fc.subarray([...letters]),
      shuffle: fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
      opaque: fc.string({ unit: fc.constantFrom(...'abcdefghij0123456789'), minLength: 0, maxLength: 31 }),
      ttl: i32,
      vivifyTtl: i32,
      recacheTtl: i32,
      compareCas: u64,
      newCas: u64,
      clientFlags: u32,
      delta: u64,
      initial: u64,
    })
    .map(({ chosen, shuffle, ...values }) => {
      const letters = chosen.map((letter, index) => ({ letter, rank: shuffle[index]! })).sort((a, b) => a.rank - b.rank);
      let order = letters.map(({ letter }) => letter).join('');
      if (mode !== null) order += 'M';
      const has = (letter: string): boolean => order.includes(letter);
      return metaFlags(order, {
        opaque: has('O') ? `O${values.opaque}` : null,
        ttl: has('T') ? values.ttl : null,
        vivifyTtl: has('N') ? values.vivifyTtl : null,
        recacheTtl: has('R') ? values.recacheTtl : null,
        compareCas: has('C') ? values.compareCas : null,
        newCas: has('E') ? values.newCas : null,
        clientFlags: has('F') ? values.clientFlags : 0,
        delta: has('D') ? values.delta : 1n,
        initial: has('J') ? values.initial : 0n,
        mode,
      });
    });
}

function metaKeyed(letters: string, mode: string | null = null): fc.Arbitrary<{ key: string; flags: MetaFlags }> {
  return metaFlagsArbitrary(`${letters}b`, mode).chain((flags) => (flags.base64Key ? binaryKey : keyArbitrary).map((key) => ({ key, flags })));
}

const metaSetModes: readonly [MetaSetMode, string | null][] = [
  ['set', null],
  ['set', 'S'],
  ['add', 'E'],
  ['append', 'A'],
  ['prepend', 'P'],
  ['replace', 'R'],
];

/** Any request a client can send but quit. */
export const commandArbitrary: fc.Arbitrary<EncodableCommand> = fc.oneof(
  fc.record({ type: fc.constantFrom('set', 'add', 'replace', 'append', 'prepend'), key: keyArbitrary, flags: u32, exptime: i32, value, noreply }),
  fc.record({ type: fc.constant('cas'), key: keyArbitrary, flags: u32, exptime: i32, value, unique: u64, noreply }),
  fc.record({ type: fc.constantFrom('get', 'gets'), keys: fc.array(shortKey, { minLength: 1, maxLength: 5 }) }),
  fc.record({ type: fc.constantFrom('gat', 'gats'), exptime: i32, keys: fc.array(shortKey, { minLength: 1, maxLength: 5 }) }),
  fc.record({ type: fc.constant('delete'), key: keyArbitrary, noreply }),
  fc.record({ type: fc.constantFrom('incr', 'decr'), key: keyArbitrary, delta: u64, noreply }),
  fc.record({ type: fc.constant('touch'), key: keyArbitrary, exptime: i32, noreply }),
  fc.record({ type: fc.constant('flush_all'), delay: i32, noreply }),
  fc.record({ type: fc.constant('stats'), args: fc.array(fc.constantFrom('items', 'slabs', 'reset', 'settings'), { maxLength: 2 }) }),
  fc.record({ type: fc.constantFrom('version', 'mn') }),
  fc.record({ type: fc.constant('verbosity'), level: u32, noreply }),
  fc.record({ type: fc.constant('me'), key: keyArbitrary }),
  metaKeyed('cfhklOqstuvTNRC').map(({ key, flags }) => ({ type: 'mg' as const, key, flags })),
  metaKeyed('kOqCTI').map(({ key, flags }) => ({ type: 'md' as const, key, flags })),
  fc
    .constantFrom(...([null, 'I', '+', 'D', '-'] as const))
    .chain((mode) =>
      metaKeyed('cktvOqCNJDT', mode).map(({ key, flags }) => ({ type: 'ma' as const, key, flags, incr: mode === null || mode === 'I' || mode === '+' })),
    ),
  fc
    .constantFrom(...metaSetModes)
    .chain(([mode, letter]) =>
      fc.tuple(metaKeyed('ckOqsCFITN', letter), value).map(([{ key, flags }, bytes]) => ({ type: 'ms' as const, key, mode, value: bytes, flags })),
    ),
) as fc.Arbitrary<EncodableCommand>;
