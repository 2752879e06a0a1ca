import { expect } from 'chai';
import { main } from '../../examples/counter.js';

describe('README example (examples/counter.ts)', () => {
  it('runs: a supervisor, two actors, a tell, an ask, a crash and its restart', async () => {
    expect(await main()).to.deep.equal([40, 2]);
  });
});
