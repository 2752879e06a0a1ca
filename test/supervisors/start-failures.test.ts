/**
 * Start failures, as OTP's `init/1` returning an error: an actor whose constructor or `started`
 * hook throws never ran. Its spawner hears why: a supervisor's own start fails (children already
 * started stop), `start-child` answers with the error and adds nothing, `kernel.spawned(ref)`
 * rejects. A restart that fails to start is a failure under the supervisor's intensity.
 */
import { expect } from 'chai';
import { Actor, fromSetup, Kernel, RestartIntensityError, SpawnFailedError, StartFailedError } from '../../boot/index.js';
import { supervisor, type SupervisorMsg } from '../../supervisors/index.js';
import { rejectionOf } from '../actors/runtime/helpers.js';
import { settle as settleAll } from '../helpers/kernel.js';
import { askSettled, boot, collectFailures, Log, settle, shutdown, whichChildren } from './helpers.js';

class RefusesToStart extends Actor<{ readonly type: 'noop' }> {
  started(): void {
    throw new Error('no config');
  }
  receive(): void {}
}

describe('supervision conformance: start failures', () => {
  it('kernel.spawn of an actor whose started throws: kernel.spawned rejects with StartFailedError, the failure is published, its ref is dead', async () => {
    const kernel = await boot();
    const failures = collectFailures(kernel);
    const ref = kernel.spawn(RefusesToStart, { name: 'refuser' });
    const error = await rejectionOf(kernel.spawned(ref));
    expect(error).to.be.instanceOf(StartFailedError);
    expect(((error as StartFailedError).cause as Error).message).to.equal('no config');
    await settle(kernel);
    expect(failures.map((f) => [f.child, f.error])).to.deep.equal([[ref, error]]);
    expect(ref.tell({ type: 'noop' }), 'nothing restarts it').to.equal(false);
    expect(kernel.lookup('refuser')).to.equal(undefined);
    await shutdown(kernel);
  });

  it('a constructor that throws is a start failure too, and the stopped hook does not run', async () => {
    const kernel = await boot();
    const stops: string[] = [];
    const ref = kernel.spawn(
      fromSetup<{ readonly type: 'noop' }>(() => {
        throw new Error('cannot build');
      }),
    );
    expect(await rejectionOf(kernel.spawned(ref))).to.be.instanceOf(StartFailedError);
    const half = kernel.spawn(
      fromSetup<{ readonly type: 'noop' }>(() => ({
        started() {
          throw new Error('half started');
        },
        receive() {},
        stopped: () => void stops.push('stopped ran'),
      })),
    );
    expect(await rejectionOf(kernel.spawned(half))).to.be.instanceOf(StartFailedError);
    await settle(kernel);
    expect(stops).to.deep.equal([]);
    await shutdown(kernel);
  });

  it("a static child that fails to start fails its supervisor's start; the children started before it stop, last first", async () => {
    const kernel = await boot();
    const log = new Log();
    const sup = kernel.spawn<SupervisorMsg>(
      supervisor({ children: [log.spec('a'), log.spec('b'), { id: 'bad', start: RefusesToStart as never }, log.spec('c')] }),
      {
        name: 'sup',
      },
    );
    const error = await rejectionOf(kernel.spawned(sup));
    expect(error).to.be.instanceOf(StartFailedError);
    expect(((error as StartFailedError).cause as Error).message, 'the cause names the child').to.contain('failed to start');
    await settle(kernel);
    expect(log.entries).to.deep.equal(['start:a', 'start:b', 'stop:b:shutdown', 'stop:a:shutdown']);
    expect(kernel.lookup('sup')).to.equal(undefined);
    await shutdown(kernel);
  });

  it('start-child of a child that fails to start answers StartFailedError and adds nothing', async () => {
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    const error = await askSettled(kernel, () => sup.ask({ type: 'start-child', spec: { id: 'bad', start: RefusesToStart as never } })).catch(
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(StartFailedError);
    expect((await whichChildren(kernel, sup)).map((c) => c.id)).to.deep.equal(['a']);
    expect(kernel.lookup('sup')).to.equal(sup);
    expect(failures.map((f) => f.error)).to.deep.equal([error]);
    await shutdown(kernel);
  });

  it('a restart whose started throws counts against the intensity: the supervisor gives up instead of looping', async () => {
    const kernel = await boot();
    const failures = collectFailures(kernel);
    let incarnations = 0;
    const flaky = fromSetup<{ readonly type: 'crash' }>(() => ({
      started() {
        incarnations++;
        if (incarnations > 1) throw new Error('cannot come back');
      },
      receive() {
        throw new Error('first crash');
      },
    }));
    kernel.spawn(supervisor({ restartsMax: 3, children: [{ id: 'f', start: flaky as never, options: { name: 'f' } }] }), { name: 'sup' });
    await settle(kernel);
    kernel.lookup<{ readonly type: 'crash' }>('f')!.tell({ type: 'crash' });
    await settle(kernel);
    expect(incarnations).to.equal(4);
    expect(kernel.lookup('sup')).to.equal(undefined);
    expect(failures.at(-1)!.error).to.be.instanceOf(RestartIntensityError);
    await shutdown(kernel);
  });

  it('a restarted incarnation that fails to start never ran: its stopped hook does not run, and its name is free for the next try at once', async () => {
    const kernel = await boot();
    const stops: number[] = [];
    const failures = collectFailures(kernel);
    let incarnations = 0;
    const flaky = fromSetup<{ readonly type: 'noop' }>(() => {
      const incarnation = ++incarnations;
      return {
        started() {
          if (incarnation > 1 && incarnation < 4) throw new Error(`cannot start ${incarnation}`);
        },
        receive() {},
        stopped: () => void stops.push(incarnation),
      };
    });
    kernel.spawn(supervisor({ restartsMax: 5, children: [{ id: 'f', start: flaky as never, options: { name: 'f' } }] }), { name: 'sup' });
    await settle(kernel);
    // A stop from outside: the permanent child comes back as a new actor under the same name, twice failing to start.
    await kernel.runUntil(kernel.stop(kernel.lookup('f')!));
    await settle(kernel);
    expect(incarnations).to.equal(4);
    expect(stops, 'only the incarnation that ran had its stopped hook').to.deep.equal([1]);
    expect(failures.map((f) => f.error?.constructor.name)).to.deep.equal(['StartFailedError', 'StartFailedError']);
    expect(kernel.lookup('f')).to.not.equal(undefined);
    expect(kernel.lookup('sup')).to.not.equal(undefined);
    await shutdown(kernel);
  });

  it('a spawn on another CPU whose start throws rejects kernel.spawned with SpawnFailedError naming the start failure', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 9, cpus: 2, modules: [new URL('../actors/cpu/fixtures/behaviors.js', import.meta.url)] });
    const { Refuser } = await import('../actors/cpu/fixtures/behaviors.js');
    const ref = kernel.spawn(Refuser, { cpu: 1 });
    const pending = kernel.spawned(ref);
    pending.catch(() => {});
    await settleAll(kernel);
    const error = await rejectionOf(pending);
    expect(error).to.be.instanceOf(SpawnFailedError);
    expect((error as SpawnFailedError).reason).to.contain('StartFailedError');
    await kernel.shutdown();
  });
});

describe('supervision conformance: shutdown of supervisor children', () => {
  it("a supervisor child's shutdown defaults to infinity: its children's own timeouts bound the stop, not 5 s", async () => {
    const kernel = await boot();
    const log = new Log();
    const inner = supervisor({ children: [log.spec('slow', { shutdown: 20_000 }, { stopping: { kind: 'delay', delayMs: 8_000 } })] });
    kernel.spawn(supervisor({ children: [{ id: 'inner', start: inner as never }] }), { name: 'top' });
    await settle(kernel);
    await shutdown(kernel);
    expect(log.timeOf('stop:slow:shutdown'), 'the slow child finished its stop').to.equal(8_000);
  });

  it("accepts 'infinity' as a child's shutdown", async () => {
    const kernel = await boot();
    const log = new Log();
    kernel.spawn(supervisor({ children: [log.spec('slow', { shutdown: 'infinity' }, { stopping: { kind: 'delay', delayMs: 60_000 } })] }), { name: 'top' });
    await settle(kernel);
    await shutdown(kernel);
    expect(log.timeOf('stop:slow:shutdown')).to.equal(60_000);
  });
});
