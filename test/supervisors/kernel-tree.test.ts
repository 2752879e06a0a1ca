/**
 * The kernel's own supervision tree: root → sched, irq, vm, zfs, net, apps → user guardian, with
 * `kernel.spawn` placing actors under the user guardian.
 */
import { expect } from 'chai';
import { type ActorStatus, fromReceive } from '../../actors/runtime/index.js';
import { kernelNames, subsystemNames, type SupervisorMsg } from '../../supervisors/index.js';
import { askSettled, boot, collectEvents, collectFailures, Log, settle, shutdown, whichChildren } from './helpers.js';

describe('supervisors: the kernel tree', () => {
  it('names the root, the six subsystem supervisors and the user guardian', () => {
    expect(subsystemNames).to.deep.equal(['sched', 'irq', 'vm', 'zfs', 'net', 'apps']);
    expect(kernelNames.root).to.equal('kernel.root');
    expect(kernelNames.user).to.equal('kernel.user');
    expect(subsystemNames.map(kernelNames.subsystem)).to.deep.equal(['kernel.sched', 'kernel.irq', 'kernel.vm', 'kernel.zfs', 'kernel.net', 'kernel.apps']);
  });

  it('boots root → sched, irq, vm, zfs, net, apps (one-for-one supervisors) → user guardian', async () => {
    const kernel = await boot();
    const root = kernel.lookup<SupervisorMsg>('kernel.root');
    expect(root).to.not.equal(undefined);
    const children = await whichChildren(kernel, root!);
    expect(children.map((c) => [c.id, c.restart, c.status])).to.deep.equal(subsystemNames.map((name) => [name, 'permanent', 'running']));
    for (const name of subsystemNames) {
      const ref = kernel.lookup(`kernel.${name}`);
      expect(ref, name).to.not.equal(undefined);
      expect(kernel.subsystem(name), name).to.equal(ref);
      expect(children.find((c) => c.id === name)!.ref).to.equal(ref);
    }
    const apps = await whichChildren(kernel, kernel.lookup<SupervisorMsg>('kernel.apps')!);
    expect(apps.map((c) => c.id)).to.deep.equal(['user']);
    expect(apps[0]!.ref).to.equal(kernel.lookup('kernel.user'));
    // sched holds each CPU's scheduler actor; the others wait for their subsystems.
    const sched = await whichChildren(kernel, kernel.subsystem('sched') as never);
    expect(sched.map((c) => c.id)).to.deep.equal(['scheduler']);
    expect(sched[0]!.ref).to.equal(kernel.scheduler);
    for (const name of ['irq', 'vm', 'zfs', 'net'] as const) expect(await whichChildren(kernel, kernel.subsystem(name) as never), name).to.deep.equal([]);

    const tree = kernel.status().tree;
    expect(tree.name).to.equal('kernel.root');
    expect(tree.children.map((n) => n.name)).to.deep.equal(subsystemNames.map((name) => `kernel.${name}`));
    expect(tree.children.at(-1)!.children.map((n) => n.name)).to.deep.equal(['kernel.user']);
    await shutdown(kernel);
  });

  it('kernel.spawn places actors under apps/user, whose parent is the user guardian', async () => {
    const kernel = await boot();
    const log = new Log();
    const parents: unknown[] = [];
    const ref = kernel.spawn(fromReceive<{ type: 'who' }>((_m, ctx) => void parents.push(ctx.parent)), { name: 'mine' });
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

  it('the root restarts a subsystem supervisor that stops (permanent)', async () => {
    const kernel = await boot();
    const old = kernel.subsystem('net');
    const stopped = kernel.stop(old);
    await settle(kernel);
    await stopped;
    const fresh = kernel.lookup('kernel.net');
    expect(fresh).to.not.equal(undefined);
    expect(fresh!.pid).to.not.equal(old.pid);
    expect(kernel.subsystem('net')).to.equal(fresh);
    const children = await askSettled(kernel, () => kernel.lookup<SupervisorMsg>('kernel.root')!.ask({ type: 'which-children' }));
    expect(children.map((c) => c.id)).to.deep.equal([...subsystemNames]);
    await shutdown(kernel);
  });

  it('shutdown stops user actors first, then the subsystems in reverse start order, then the root', async () => {
    const kernel = await boot();
    const log = new Log();
    const events = collectEvents(kernel);
    const mine = kernel.spawn(log.probe('mine'), { name: 'mine' });
    await settle(kernel);
    const pids = new Map<number, string>([[mine.pid, 'mine'], [kernel.lookup('kernel.root')!.pid, 'root'], [kernel.lookup('kernel.user')!.pid, 'user']]);
    for (const name of subsystemNames) pids.set(kernel.subsystem(name).pid, name);
    await shutdown(kernel);
    const stopEvents = events.flatMap((e) => (e.kind === 'stop' ? [e] : []));
    expect(stopEvents.filter((e) => pids.has(e.pid)).map((e) => pids.get(e.pid))).to.deep.equal(['mine', 'user', 'apps', 'net', 'zfs', 'vm', 'irq', 'sched', 'root']);
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
