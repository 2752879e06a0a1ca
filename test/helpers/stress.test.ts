import { expect } from 'chai';
import { stressFull, stressSize } from './stress.js';

describe('test helpers: stress sizes', () => {
  const variable = 'OSPREY_STRESS_HELPER_CHECK';
  afterEach(() => {
    delete process.env[variable];
  });

  it('gives the CI size, or the full size under OSPREY_STRESS=1, when no override is set', () => {
    expect(stressSize('HELPER_CHECK', { ci: 3, full: 30 })).to.equal(stressFull ? 30 : 3);
    process.env[variable] = '';
    expect(stressSize('HELPER_CHECK', { ci: 3, full: 30 })).to.equal(stressFull ? 30 : 3);
  });

  it('takes OSPREY_STRESS_<NAME> over both sizes', () => {
    process.env[variable] = '7';
    expect(stressSize('HELPER_CHECK', { ci: 3, full: 30 })).to.equal(7);
  });

  it('refuses an override that is not a positive integer, instead of running the small size', () => {
    for (const raw of ['0', '-5', '1.5', '1e400', 'lots', ' ']) {
      process.env[variable] = raw;
      expect(() => stressSize('HELPER_CHECK', { ci: 3, full: 30 }), raw).to.throw(RangeError, variable);
    }
  });
});
