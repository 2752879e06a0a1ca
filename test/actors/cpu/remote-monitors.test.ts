import { expect } from 'chai';
import { Kernel, type ActorRef } from '../../../boot/index.js';
import { eventually } from '../../helpers/eventually.js';
import { answered, settle } from '../../helpers/kernel.js';
import { Bomb, Counter, RefUser, Watcher, type WatcherMsg } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

function downsOf(kernel: Kernel, watcher: ActorRef<WatcherMsg>): Promise<readonly (readonly [number, string])[]> {
  return answered(kernel, watcher.ask({ type: 'downs' }));
}

describe('monitors across CPUs', () => {
  let kernel: Kernel;
  beforeEach(async () => {
    kernel = await Kernel.boot({ mode: 'simulated', seed: 9, cpus: 2, modules });
  });
  afterEach(async () => {
    await kernel.shutdown();
  });

  it('a watcher gets down, with the reason, when the actor it monitors on another CPU stops', async () => {
    const watched = kernel.spawn(Counter, { cpu: 1 });
    await settle(kernel);
    const watchers = [kernel.spawn(Watcher), kernel.spawn(Watcher)];
    for (const watcher of watchers) watcher.tell({ type: 'watch', ref: watched as never });
    await settle(kernel);
    await kernel.runUntil(kernel.stop(watched));
    await settle(kernel);
    for (const watcher of watchers) expect(await downsOf(kernel, watcher)).to.deep.equal([[watched.pid, 'shutdown']]);
  });

  it('works the other way too: an actor on a worker CPU monitors one of the main CPU through a ref it was sent', async () => {
    const watched = kernel.spawn(Counter);
    const watcher = kernel.spawn(Watcher, { cpu: 1 });
    await settle(kernel);
    watcher.tell({ type: 'watch', ref: watched as never });
    await settle(kernel);
    await kernel.runUntil(kernel.stop(watched));
    await settle(kernel);
    expect(await downsOf(kernel, watcher)).to.deep.equal([[watched.pid, 'shutdown']]);
  });

  it('monitoring an actor that is already gone on its CPU gives down with reason noproc', async () => {
    // A collector spawned by an actor of CPU 1: CPU 0 learns of its stop only by monitoring it.
    const user = kernel.spawn(RefUser, { cpu: 1 });
    await settle(kernel);
    const answer = user.ask({ type: 'spawn-collector' });
    await settle(kernel);
    const collector = await answer;
    await kernel.runUntil(kernel.stop(collector));
    await settle(kernel);
    const watcher = kernel.spawn(Watcher);
    watcher.tell({ type: 'watch', ref: collector as never });
    await settle(kernel);
    expect(await downsOf(kernel, watcher)).to.deep.equal([[collector.pid, 'noproc']]);
  });

  it('a monitor set before the far CPU answered the spawn still fires; a demonitored one does not', async () => {
    const watched = kernel.spawn(Counter, { cpu: 1 });
    const early = kernel.spawn(Watcher);
    const quitter = kernel.spawn(Watcher);
    early.tell({ type: 'watch', ref: watched as never });
    quitter.tell({ type: 'watch', ref: watched as never });
    quitter.tell({ type: 'unwatch', ref: watched as never });
    await settle(kernel);
    expect(watched.pid).to.not.equal(0);
    await kernel.runUntil(kernel.stop(watched));
    await settle(kernel);
    expect(await downsOf(kernel, early)).to.deep.equal([[watched.pid, 'shutdown']]);
    expect(await downsOf(kernel, quitter)).to.deep.equal([]);
  });
});

describe('monitors across CPUs, of an actor that moved', () => {
  it('a CPU that kept a ref to an actor that migrated away watches it where it went, and its down names the pid it has there', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 4, cpus: 3, modules });
    const migrant = kernel.spawn(Counter);
    const watcher = kernel.spawn(Watcher, { cpu: 2 });
    await settle(kernel);
    const oldPid = migrant.pid;
    // CPU 2 learns the actor's pid on CPU 0, then the actor moves to CPU 1.
    watcher.tell({ type: 'keep', ref: migrant as never });
    await settle(kernel);
    const moved = kernel.scheduler.ask({ type: 'sched.migrate', pid: oldPid, cpu: 1 });
    await settle(kernel);
    expect(await moved).to.equal(true);
    expect(migrant.pid).to.not.equal(oldPid);
    watcher.tell({ type: 'watch-kept' });
    await settle(kernel);
    await kernel.runUntil(kernel.stop(migrant));
    await settle(kernel);
    // The move's news switched CPU 2's ref to where the actor went: it reads its pid there, as CPU 0's does.
    expect(await downsOf(kernel, watcher)).to.deep.equal([[migrant.pid, 'shutdown']]);
    await kernel.shutdown();
  });
});

describe('monitors across worker CPUs', function () {
  this.timeout(30_000);

  it('a CPU that dies takes its actors with it: their watchers get down, reason killed', async () => {
    const kernel = await Kernel.boot({ cpus: 2, modules });
    try {
      const bomb = await kernel.spawned(kernel.spawn(Bomb, { cpu: 1 }));
      const pid = bomb.pid;
      const watcher = kernel.spawn(Watcher);
      watcher.tell({ type: 'watch', ref: bomb as never });
      expect(await bomb.ask({ type: 'ping' })).to.equal('pong');
      bomb.tell({ type: 'exit-process' });
      const downs = await eventually(async () => {
        const got = await watcher.ask({ type: 'downs' });
        return got.length > 0 ? got : undefined;
      });
      // One down for the incarnation that died. The ref itself lives on: the actor was placed from
      // here, so it restarts with its CPU behind the same ref, under a new pid.
      expect(downs.map(([, reason]) => reason)).to.deep.equal(['killed']);
      await kernel.spawned(bomb);
      expect(bomb.pid).to.not.equal(pid);
      expect(await bomb.ask({ type: 'ping' })).to.equal('pong');
    } finally {
      await kernel.shutdown();
    }
  });
});
