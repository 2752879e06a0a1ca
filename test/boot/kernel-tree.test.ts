/**
 * The kernel's own supervision tree, built from the subsystems given to boot: root → (cpus) →
 * one supervisor per subsystem → apps → user guardian, with `kernel.spawn` placing actors under
 * the user guardian, and nothing booted that was not asked for.
 */
import { expect } from 'chai';
import {
  type ActorStatus,
  configure,
  defaultSubsystems,
  fromReceive,
  Kernel,
  kernelNames,
  SubsystemNotBootedError,
  type SupervisorMsg,
} from '../../boot/index.js';
import { ProtocolError } from '../../protocols/protocol-error.js';
import { interruptHandler, interrupts } from '../../actors/irq/index.js';
import { scheduling } from '../../actors/scheduler/subsystem.js';
import { settledOnClock } from '../helpers/kernel.js';
import { eventually } from '../helpers/eventually.js';
import { askSettled, boot, collectEvents, collectFailures, Log, settle, shutdown, whichChildren } from '../supervisors/helpers.js';
import { ledger } from './fixtures/ledger.js';

const modules = [new URL('./fixtures/ledger.js', import.meta.url)];

describe('boot: the kernel tree', () => {
  it('names the root, the subsystem supervisors, apps and the user guardian', () => {
    expect(kernelNames.root).to.equal('kernel.root');
    expect(kernelNames.user).to.equal('kernel.user');
    expect(kernelNames.apps).to.equal('kernel.apps');
    expect(defaultSubsystems.map((subsystem) => kernelNames.subsystem(subsystem.name))).to.deep.equal(['kernel.sched', 'kernel.irq']);
  });

  it('boots root → sched, irq (the default subsystems), apps → user guardian, and no empty supervisor', async () => {
    const kernel = await boot();
    const root = kernel.lookup<SupervisorMsg>('kernel.root')!;
    const children = await whichChildren(kernel, root);
    expect(children.map((c) => [c.id, c.restart, c.status])).to.deep.equal([
      ['sched', 'permanent', 'running'],
      ['irq', 'permanent', 'running'],
      ['apps', 'permanent', 'running'],
    ]);
    const sched = await whichChildren(kernel, kernel.lookup<SupervisorMsg>('kernel.sched')!);
    expect(sched.map((c) => c.id)).to.deep.equal(['scheduler']);
    expect(sched[0]!.ref).to.equal(kernel.scheduler);
    expect(kernel.subsystem(scheduling)).to.equal(kernel.scheduler);
    const irq = await whichChildren(kernel, kernel.lookup<SupervisorMsg>('kernel.irq')!);
    expect(irq.map((c) => c.id)).to.deep.equal(['irq-controller']);
    const apps = await whichChildren(kernel, kernel.lookup<SupervisorMsg>('kernel.apps')!);
    expect(apps.map((c) => c.id)).to.deep.equal(['user']);
    expect(apps[0]!.ref).to.equal(kernel.lookup('kernel.user'));
    expect(kernel.subsystems).to.deep.equal(defaultSubsystems);

    const status = kernel.status();
    expect(status.tree.children.map((n) => n.name)).to.deep.equal(['kernel.sched', 'kernel.irq', 'kernel.apps']);
    expect(
      status.tree.children.every((n) => n.children.length > 0),
      'every subsystem supervisor has children',
    ).to.equal(true);
    expect(Object.keys(status.subsystems)).to.deep.equal(['sched', 'irq']);
    expect(status.subsystems.irq).to.deep.equal({ vectors: [] });
    await shutdown(kernel);
  });

  it('boots exactly the subsystems it is given: none, and the handles of the others refuse', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', subsystems: [] });
    const children = await whichChildren(kernel, kernel.lookup<SupervisorMsg>('kernel.root')!);
    expect(children.map((c) => c.id)).to.deep.equal(['apps']);
    expect(() => kernel.subsystem(interrupts)).to.throw(SubsystemNotBootedError, /'irq'/);
    expect(() => kernel.scheduler).to.throw(SubsystemNotBootedError, /'sched'/);
    expect(kernel.lookup('kernel.sched')).to.equal(undefined);
    // The run policy is the kernel's own: actors still run, fairly.
    const got: string[] = [];
    kernel.spawn(fromReceive<{ type: 'hi' }>((m) => void got.push(m.type))).tell({ type: 'hi' });
    await settle(kernel);
    expect(got).to.deep.equal(['hi']);
    await shutdown(kernel);
  });

  it('refuses two subsystems with one name, a value that is not a subsystem, and options that are not plain data', async () => {
    let error: unknown;
    await Kernel.boot({ mode: 'simulated', subsystems: [interrupts, interrupts] }).catch((thrown: unknown) => (error = thrown));
    expect(error)
      .to.be.instanceOf(TypeError)
      .with.property('message')
      .that.matches(/two subsystems are named 'irq'/);
    error = undefined;
    await Kernel.boot({ mode: 'simulated', subsystems: [{ name: 'x' } as never] }).catch((thrown: unknown) => (error = thrown));
    expect(error)
      .to.be.instanceOf(TypeError)
      .with.property('message')
      .that.matches(/defineSubsystem/);
    error = undefined;
    await Kernel.boot({ mode: 'simulated', subsystems: [configure(ledger, { scale: () => 2 } as never)] }).catch((thrown: unknown) => (error = thrown));
    expect(error)
      .to.be.instanceOf(TypeError)
      .with.property('message')
      .that.matches(/subsystem 'ledger': its options must be plain data .*options\.scale/);
    expect((error as Error).cause).to.be.instanceOf(ProtocolError);
    // A subsystem cannot take a name of the kernel's own actors, nor one a spread let through unchecked.
    for (const name of ['user', 'apps', 'scheduler', 'Not A Name']) {
      error = undefined;
      await Kernel.boot({ mode: 'simulated', subsystems: [{ ...ledger, name }] }).catch((thrown: unknown) => (error = thrown));
      expect(error, name).to.be.instanceOf(TypeError).with.property('message').that.includes(`'${name}'`);
    }
  });

  it('adds a subsystem by its own folder and one entry in the boot list: children, handle, frames, status', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 3, cpus: 2, modules, subsystems: [...defaultSubsystems, ledger] });
    const [cpu0, cpu1] = kernel.threadKernels();
    const root = await whichChildren(kernel, kernel.lookup<SupervisorMsg>('kernel.root')!);
    expect(root.map((c) => c.id)).to.deep.equal(['sched', 'irq', 'ledger', 'apps']);
    expect(kernel.lookup('kernel.ledger.book')!.cell.parentCell).to.equal(kernel.lookup('kernel.ledger')!.cell);
    cpu0!.subsystem(ledger).record(5);
    cpu1!.subsystem(ledger).record(7);
    await settle(kernel);
    // Each entry reached the other CPU through the ledger's own frame type, and its book.
    expect(cpu0!.subsystem(ledger).entries()).to.deep.equal([
      { amount: 5, cpu: 0 },
      { amount: 7, cpu: 1 },
    ]);
    expect(cpu1!.subsystem(ledger).entries()).to.deep.equal([
      { amount: 7, cpu: 1 },
      { amount: 5, cpu: 0 },
    ]);
    const statuses = await settledOnClock(kernel, kernel.cpuStatuses());
    expect(statuses.map((status) => status.subsystems.ledger)).to.deep.equal([
      { entries: 2, total: 12 },
      { entries: 2, total: 12 },
    ]);
    await kernel.shutdown();
  });

  it('boots the same subsystems on worker CPUs, which import them from their modules with the same options', async function () {
    this.timeout(30_000);
    const kernel = await Kernel.boot({ cpus: 2, modules, subsystems: [...defaultSubsystems, configure(ledger, { scale: 10 })] });
    try {
      kernel.subsystem(ledger).record(11);
      // The worker's book records the copy in its own turn: ask until its status shows it.
      const worker = await eventually(async () => {
        const [, status] = await kernel.cpuStatuses({ deadlineMs: 5_000 });
        return (status!.subsystems.ledger as { entries: number }).entries === 1 ? status : undefined;
      });
      // The worker's ledger got the copy of 11 scaled by CPU 0's options.
      expect(worker.subsystems.ledger).to.deep.equal({ entries: 1, total: 110 });
      expect(worker.tree.children.map((n) => n.name)).to.deep.equal(['kernel.sched', 'kernel.irq', 'kernel.ledger', 'kernel.apps']);
    } finally {
      await kernel.shutdown();
    }
  });

  it('kernel.spawn places actors under apps/user, whose parent is the user guardian', async () => {
    const kernel = await boot();
    const log = new Log();
    const parents: unknown[] = [];
    const ref = kernel.spawn(
      fromReceive<{ type: 'who' }>((_m, ctx) => void parents.push(ctx.parent)),
      { name: 'mine' },
    );
    kernel.spawn(log.probe('second'), { name: 'second' });
    ref.tell({ type: 'who' });
    await settle(kernel);
    expect(parents).to.deep.equal([kernel.lookup('kernel.user')]);
    const user = findByName(kernel.status().tree, 'kernel.user')!;
    expect(user.children.map((n) => n.name)).to.deep.equal(['mine', 'second']);
    expect(findByName(kernel.status().tree, 'kernel.apps')!.children.map((n) => n.name)).to.deep.equal(['kernel.user']);
    await shutdown(kernel);
  });

  it('a top-level actor that crashes is stopped, not restarted, and reported with the user guardian as parent', async () => {
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    const ref = kernel.spawn(log.probe('top'), { name: 'top' });
    await settle(kernel);
    ref.tell({ type: 'crash' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['start:top', 'stop:top:crashed']);
    expect(kernel.lookup('top')).to.equal(undefined);
    expect(failures).to.have.length(1);
    expect(failures[0]!.parent).to.equal(kernel.lookup('kernel.user'));
    expect(kernel.lookup('kernel.user'), 'the guardian itself is unaffected').to.not.equal(undefined);
    await shutdown(kernel);
  });

  it('the root restarts a subsystem supervisor that stops, and the subsystem comes back usable', async () => {
    const kernel = await boot();
    const irq = kernel.subsystem(interrupts);
    const old = kernel.lookup('kernel.irq')!;
    const stopped = kernel.stop(old);
    await settle(kernel);
    await stopped;
    const fresh = kernel.lookup('kernel.irq');
    expect(fresh).to.not.equal(undefined);
    expect(fresh!.pid).to.not.equal(old.pid);
    const children = await askSettled(kernel, () => kernel.lookup<SupervisorMsg>('kernel.root')!.ask({ type: 'which-children' }));
    expect(children.map((c) => c.id)).to.deep.equal(['sched', 'irq', 'apps']);
    // The controller's actor started again: the controller is open, with an empty table.
    expect(kernel.subsystem(interrupts)).to.equal(irq);
    expect(irq.isClosed).to.equal(false);
    const got: number[] = [];
    const vector = await askSettled(kernel, () =>
      irq.allocate<number>({ name: 'again', handler: interruptHandler<number>((events) => void got.push(...events)) }),
    );
    irq.raise(vector, 42);
    await settle(kernel);
    expect(got).to.deep.equal([42]);
    await shutdown(kernel);
  });

  it('shutdown stops user actors first, then the subsystems in reverse start order, then the root', async () => {
    const kernel = await boot();
    const log = new Log();
    const events = collectEvents(kernel);
    const mine = kernel.spawn(log.probe('mine'), { name: 'mine' });
    await settle(kernel);
    const pids = new Map<number, string>([
      [mine.pid, 'mine'],
      [kernel.lookup('kernel.root')!.pid, 'root'],
      [kernel.lookup('kernel.user')!.pid, 'user'],
    ]);
    for (const name of ['sched', 'irq', 'apps']) pids.set(kernel.lookup(`kernel.${name}`)!.pid, name);
    await shutdown(kernel);
    const stopEvents = events.flatMap((e) => (e.kind === 'stop' ? [e] : []));
    expect(stopEvents.filter((e) => pids.has(e.pid)).map((e) => pids.get(e.pid))).to.deep.equal(['mine', 'user', 'apps', 'irq', 'sched', 'root']);
    expect(stopEvents.map((e) => e.reason).every((reason) => reason === 'shutdown')).to.equal(true);
  });
});

function findByName(node: ActorStatus, name: string): ActorStatus | undefined {
  if (node.name === name) return node;
  for (const child of node.children) {
    const found = findByName(child, name);
    if (found !== undefined) return found;
  }
  return undefined;
}
