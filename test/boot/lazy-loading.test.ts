/**
 * Importing the runtime loads what a one-CPU kernel needs and no more, which is no package at all:
 * rxjs (about 90 ms to load) comes when a stream is first asked for, xstate (about 25 ms) when a
 * machine is first defined or run, and msgpackr (about 20 ms) with the CPU layer, for a machine of
 * several CPUs. What they load is what users import: rxjs's own Observables, xstate's own classes.
 */
import { execFileSync } from 'node:child_process';
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

  it('a one-CPU kernel, booted and stopped, loads no package', () => {
    const loaded = packagesLoadedBy('const kernel = await Kernel.boot(); await kernel.shutdown();');
    expect(loaded).to.deep.equal([]);
  });

  it("a one-CPU kernel draws its seed without loading Node's crypto modules (6–9 ms of a first boot)", () => {
    const entry = new URL('../../boot/index.js', import.meta.url).href;
    const script = `
      const { Kernel } = await import(${JSON.stringify(entry)});
      const kernel = await Kernel.boot();
      await kernel.shutdown();
      console.log(JSON.stringify({ seed: kernel.seed, crypto: process.moduleLoadList.filter((name) => name.includes('crypto')) }));`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const { seed, crypto } = JSON.parse(output.trim().split('\n').at(-1)!) as { seed: number; crypto: string[] };
    expect(Number.isSafeInteger(seed) && seed >= 0).to.equal(true);
    expect(crypto).to.deep.equal([]);
  });

  it('asking for a stream loads rxjs', () => {
    const loaded = packagesLoadedBy('const kernel = await Kernel.boot(); kernel.deadLetters.subscribe(() => {}); await kernel.shutdown();');
    expect(loaded).to.include('rxjs');
  });

  it("a supervisor's first restart loads xstate, for its lifecycle machine", () => {
    const restart = `
      const { supervisor, fromReceive } = await import(${JSON.stringify(new URL('../../boot/index.js', import.meta.url).href)});
      const Crasher = fromReceive(() => { throw new Error('on purpose'); }, 'Crasher');
      const kernel = await Kernel.boot();
      const tree = kernel.spawn(supervisor({ restartsMax: 3, children: [{ id: 'c', start: Crasher, options: { name: 'crasher' } }] }));
      await kernel.spawned(tree);
      kernel.lookup('crasher').tell({ type: 'boom' });
      const restarts = (node) => (node.name === 'crasher' ? node.restarts : Math.max(0, ...node.children.map(restarts)));
      while (restarts(kernel.status().tree) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await kernel.shutdown();`;
    expect(packagesLoadedBy(restart)).to.deep.equal(['xstate']);
  });

  it('xstate loaded on first use is the one users import', async () => {
    const { xstate } = await import('../../actors/runtime/lazy-packages.js');
    const imported = await import('xstate');
    expect(xstate().StateMachine).to.equal(imported.StateMachine);
    expect(xstate().Actor).to.equal(imported.Actor);
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
