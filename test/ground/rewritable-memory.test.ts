import { expect } from 'chai';
import { markRewritable, mayBeRewritten } from '../../ground/rewritable-memory.js';

describe('ground: memory others may rewrite', () => {
  it('is every SharedArrayBuffer and every buffer marked so, through any view of it, and nothing else', () => {
    const shared = new SharedArrayBuffer(64);
    const marked = new ArrayBuffer(64);
    const plain = new ArrayBuffer(64);
    markRewritable(marked);
    expect(mayBeRewritten(new Uint8Array(shared, 8, 8))).to.equal(true);
    expect(mayBeRewritten(new Uint8Array(marked).subarray(16))).to.equal(true);
    expect(mayBeRewritten(new Uint8Array(plain))).to.equal(false);
    expect(mayBeRewritten(Buffer.from('abc'))).to.equal(false);
  });
});
