/**
 * Goal: a directory bucket gives back every entry as it was written, names included, whatever
 * characters they hold (a name that starts with U+FEFF too, which a default TextDecoder drops).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { type DirectoryEntry, directoryBlockBytes, isEntryName, readEntries, writeEntries } from '../../../actors/zfs/directory.js';

const nameArbitrary = fc
  .tuple(fc.constantFrom('', '\ufeff', '\ufeff\ufeff'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }))
  .map(([front, rest]) => front + rest)
  .filter(isEntryName);

const entryArbitrary: fc.Arbitrary<DirectoryEntry> = fc.record({
  type: fc.constantFrom('file' as const, 'directory' as const),
  objectId: fc.nat(),
  name: nameArbitrary,
});

describe('zfs: directory buckets', () => {
  it('read back the entries written, names and all (property)', () => {
    fc.assert(
      fc.property(fc.array(entryArbitrary, { maxLength: 30 }), (entries) => {
        const bucket = new Uint8Array(directoryBlockBytes);
        fc.pre(writeEntries(bucket, entries));
        expect(readEntries(bucket)).to.deep.equal(entries);
      }),
    );
  });

  it('keep a name that starts with a byte order mark', () => {
    const bucket = new Uint8Array(directoryBlockBytes);
    const entries: DirectoryEntry[] = [{ type: 'file', objectId: 7, name: '\ufeffnotes.txt' }];
    expect(writeEntries(bucket, entries)).to.equal(true);
    expect(readEntries(bucket)[0]!.name).to.equal('\ufeffnotes.txt');
  });
});
