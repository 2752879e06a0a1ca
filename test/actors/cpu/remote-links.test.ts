import { expect } from 'chai';
import { fromSetup, Kernel, type ActorRef, type ChildFailure } from '../../../boot/index.js';
import { eventually } from '../../helpers/eventually.js';
import { answered, settle } from '../../helpers/kernel.js';
import { Bomb, Counter, Linker, RefUser, Watcher, type LinkerMsg } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

function exitsOf(kernel: Kernel, linker: ActorRef<LinkerMsg>): Promise<readonly (readonly [number, string])[]> {
  return answered(kernel, linker.ask({ type: 'exits' }));
}

describe('links across CPUs', () => {
  let kernel: Kernel;
  let failures: ChildFailure[];
  beforeEach(async () => {
    kernel = await Kernel.boot({ mode: 'simulated', seed: 13, cpus: 2, modules });
    failures = [];
    kernel.failures.subscribe((failure) => failures.push(failure));
  });
  afterEach(async () => {
    await kernel.shutdown();
  });

  it('an actor that crashes takes its linked actor on the other CPU with it; one that traps exits gets the signal', async () => {
    const far = kernel.spawn(Linker, { cpu: 1 });
    const trapping = kernel.spawn(Linker);
    const plain = kernel.spawn(Linker);
    await settle(kernel);
    trapping.tell({ type: 'trap' });
    trapping.tell({ type: 'link', ref: far as never });
    plain.tell({ type: 'link', ref: far as never });
    await settle(kernel);
    far.tell({ type: 'crash' });
    await settle(kernel);
    expect(await exitsOf(kernel, trapping)).to.deep.equal([[far.pid, 'crashed']]);
    // The plain one crashed because of the link, as it would on one CPU.
    expect(failures.map((failure) => [failure.child.pid, (failure.error as Error).name])).to.deep.include([plain.pid, 'LinkedCrashError']);
  });

  it('works the other way: a trapping actor on another CPU hears of a crash here', async () => {
    const far = kernel.spawn(Linker, { cpu: 1 });
    const near = kernel.spawn(Linker);
    await settle(kernel);
    far.tell({ type: 'trap' });
    far.tell({ type: 'link', ref: near as never });
    await settle(kernel);
    near.tell({ type: 'crash' });
    await settle(kernel);
    expect(await exitsOf(kernel, far)).to.deep.equal([[near.pid, 'crashed']]);
  });

  it('a stop ends the link with its reason; an unlinked actor hears nothing', async () => {
    const far = kernel.spawn(Counter, { cpu: 1 });
    const linked = kernel.spawn(Linker);
    const unlinked = kernel.spawn(Linker);
    await settle(kernel);
    for (const linker of [linked, unlinked]) {
      linker.tell({ type: 'trap' });
      linker.tell({ type: 'link', ref: far as never });
    }
    unlinked.tell({ type: 'unlink', ref: far as never });
    await settle(kernel);
    await kernel.runUntil(kernel.stop(far));
    await settle(kernel);
    expect(await exitsOf(kernel, linked)).to.deep.equal([[far.pid, 'shutdown']]);
    expect(await exitsOf(kernel, unlinked)).to.deep.equal([]);
  });

  it('a stop of a far actor that another actor monitors still ends the link: exits go out before downs', async () => {
    const far = kernel.spawn(Counter, { cpu: 1 });
    const linked = kernel.spawn(Linker);
    const watcher = kernel.spawn(Watcher);
    await settle(kernel);
    linked.tell({ type: 'trap' });
    linked.tell({ type: 'link', ref: far as never });
    watcher.tell({ type: 'watch', ref: far as never });
    await settle(kernel);
    await kernel.runUntil(kernel.stop(far));
    await settle(kernel);
    expect(await exitsOf(kernel, linked)).to.deep.equal([[far.pid, 'shutdown']]);
    expect(await answered(kernel, watcher.ask({ type: 'downs' }))).to.deep.equal([[far.pid, 'shutdown']]);
  });

  it('kernel.stop of an actor another CPU spawned resolves once it is gone there', async () => {
    const user = kernel.spawn(RefUser, { cpu: 1 });
    await settle(kernel);
    const collector = await answered(kernel, user.ask({ type: 'spawn-collector' }));
    await kernel.runUntil(kernel.stop(collector));
    const letters: string[] = [];
    kernel.deadLetters.subscribe((letter) => letters.push(letter.reason));
    collector.tell({ type: 'greeting', from: 'after' } as never);
    expect(letters).to.deep.equal(['stopped']);
  });

  it('a link set before the far CPU answered the spawn holds once it has', async () => {
    // Spawn on CPU 1 and link in the same turn: the ref has no pid yet when the link is made.
    const exits: (readonly [number, string])[] = [];
    let far: ActorRef<LinkerMsg> | null = null;
    let pidWhenLinked = -1;
    const near = kernel.spawn(
      fromSetup<{ readonly type: 'spawn-and-link' }>((ctx) => {
        ctx.trapExits(true);
        return {
          receive(_message, turn) {
            far = kernel.spawn(Linker, { cpu: 1 });
            pidWhenLinked = far.pid;
            turn.link(far as never);
          },
          signal: (signal) => void (signal.type === 'exit' && exits.push([signal.from?.pid ?? 0, String(signal.reason)])),
        };
      }),
    );
    near.tell({ type: 'spawn-and-link' });
    await settle(kernel);
    expect(pidWhenLinked).to.equal(0);
    far!.tell({ type: 'crash' });
    await settle(kernel);
    expect(exits).to.deep.equal([[far!.pid, 'crashed']]);
  });

  it('an unlink reaches the far CPU: its actor is no longer linked, so it may migrate again', async () => {
    const kernel3 = await Kernel.boot({ mode: 'simulated', seed: 13, cpus: 3, modules });
    try {
      const far = kernel3.spawn(Counter, { cpu: 1 });
      const kept = kernel3.spawn(Linker);
      const dropped = kernel3.spawn(Linker);
      await settle(kernel3);
      kept.tell({ type: 'link', ref: far as never });
      dropped.tell({ type: 'link', ref: far as never });
      dropped.tell({ type: 'unlink', ref: far as never });
      await settle(kernel3);
      // CPU 1's scheduler refuses to move an actor that is still linked to anyone.
      const cpu1 = kernel3.threadKernels()[1]!;
      const migrate = () => answered(kernel3, cpu1.scheduler.ask({ type: 'sched.migrate', pid: far.pid, cpu: 2 }));
      const refused = await migrate().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect((refused as Error).message).to.match(/monitored or linked/);
      kept.tell({ type: 'unlink', ref: far as never });
      await settle(kernel3);
      expect(await migrate()).to.equal(true);
    } finally {
      await kernel3.shutdown();
    }
  });

  it('linking to an actor already gone on its CPU gives exit noproc', async () => {
    const user = kernel.spawn(RefUser, { cpu: 1 });
    await settle(kernel);
    const answer = user.ask({ type: 'spawn-collector' });
    await settle(kernel);
    const gone = await answer;
    await kernel.runUntil(kernel.stop(gone));
    await settle(kernel);
    const linker = kernel.spawn(Linker);
    linker.tell({ type: 'trap' });
    linker.tell({ type: 'link', ref: gone as never });
    await settle(kernel);
    expect(await exitsOf(kernel, linker)).to.deep.equal([[gone.pid, 'noproc']]);
  });
});

describe('links across worker CPUs', function () {
  this.timeout(30_000);

  it("a CPU that dies sends its linked actors' partners an exit, reason killed", async () => {
    const kernel = await Kernel.boot({ cpus: 2, modules });
    try {
      const bomb = await kernel.spawned(kernel.spawn(Bomb, { cpu: 1 }));
      const linker = kernel.spawn(Linker);
      linker.tell({ type: 'trap' });
      linker.tell({ type: 'link', ref: bomb as never });
      expect(await bomb.ask({ type: 'ping' })).to.equal('pong');
      bomb.tell({ type: 'exit-process' });
      const exits = await eventually(async () => {
        const got = await linker.ask({ type: 'exits' });
        return got.length > 0 ? got : undefined;
      });
      expect(exits.map(([, reason]) => reason)).to.deep.equal(['killed']);
    } finally {
      await kernel.shutdown();
    }
  });
});
