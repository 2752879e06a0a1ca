/**
 * Importing the runtime loads what a one-CPU kernel needs and no more: rxjs (about 90 ms to load)
 * comes when a stream is first asked for, and msgpackr (about 40 ms) with the CPU layer, for a
 * machine of several CPUs. The streams are rxjs's own Observables, the class users import.
 */
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { isObservable, Observable } from 'rxjs';
import { Kernel } from '../../boot/index.js';

/** The packages a fresh process has loaded after running `script` (an ES module's body). */
function packagesLoadedBy(script: string): string[] {
  const entry = new URL('../../boot/index.js', import.meta.url).href;
  const body = `
    import { createRequire } from 'node:module';
    const { Kernel } = await import(${JSON.stringify(entry)});
    ${script}
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('node_modules'));
    console.log(JSON.stringify([...new Set(loaded.map((path) => path.split('node_modules/').at(-1).split('/')[0]))]));
  `;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', body], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').at(-1)!) as string[];
}

describe('what importing the runtime loads', function () {
  this.timeout(20_000);

  it('a one-CPU kernel, booted and stopped, loads neither rxjs nor msgpackr', () => {
    const loaded = packagesLoadedBy('const kernel = await Kernel.boot(); await kernel.shutdown();');
    expect(loaded).not.to.include('rxjs');
    expect(loaded.filter((name) => name.startsWith('msgpackr'))).to.deep.equal([]);
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
