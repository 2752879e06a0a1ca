/**
 * Importing the runtime loads what a one-CPU kernel needs and no more: rxjs (about 90 ms to load)
 * comes when a stream is first asked for, and msgpackr (about 40 ms) with the CPU layer, for a
 * machine of several CPUs. The streams are rxjs's own Observables, the class users import.
 */
import { expect } from 'chai';
import { isObservable, Observable } from 'rxjs';
import { Kernel } from '../../boot/index.js';
import { packagesLoadedBy as loadedBy } from '../helpers/loaded-packages.js';

/** The packages a fresh process has loaded after importing the runtime and running `script`. */
function packagesLoadedBy(script: string): string[] {
  const entry = new URL('../../boot/index.js', import.meta.url).href;
  return loadedBy(`const { Kernel } = await import(${JSON.stringify(entry)});\n${script}`);
}

describe('what importing the runtime loads', function () {
  this.timeout(20_000);

  it('a one-CPU kernel, booted and stopped, loads neither rxjs nor msgpackr', () => {
    const loaded = packagesLoadedBy('const kernel = await Kernel.boot(); await kernel.shutdown();');
    expect(loaded).to.deep.equal(['xstate']);
  });

  it('asking for a stream loads rxjs', () => {
    const loaded = packagesLoadedBy('const kernel = await Kernel.boot(); kernel.deadLetters.subscribe(() => {}); await kernel.shutdown();');
    expect(loaded).to.include('rxjs');
  });

  it('the streams are the Observables users import from rxjs', async () => {
    const kernel = await Kernel.boot();
    try {
      expect(kernel.deadLetters).to.be.instanceOf(Observable);
      expect(isObservable(kernel.failures)).to.equal(true);
    } finally {
      await kernel.shutdown();
    }
  });
});
