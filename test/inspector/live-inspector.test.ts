import { expect } from 'chai';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { virtualMemory } from '../../actors/vm/index.js';
import { createPool, importPool, storage } from '../../actors/zfs/index.js';
import { createMemoryDevice } from '../../drivers/block/index.js';
import { type ActorRef, defaultSubsystems, fromMachine, fromSetup, Kernel } from '../../boot/index.js';
import { inspect } from '../../inspector/index.js';
import { supervisor, type SupervisorMsg } from '../../supervisors/index.js';
import { mermaidErrors } from '../helpers/mermaid-check.js';
import { ledger } from '../boot/fixtures/ledger.js';
import { lightMachine } from '../sim/fixtures/examples.js';

/** Debian's chromium, which .ci/run installs; another with CHROMIUM_PATH. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether a WebSocket to `url` is let in (true) or refused with the HTTP status it got. */
function tryWebSocket(url: string): Promise<true | number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.once('open', () => {
      socket.close();
      resolve(true);
    });
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', () => resolve(0));
  });
}

describe('inspector: the live page, in a real browser', function () {
  this.timeout(60_000);

  it("shows the trees, sorts actors by mailbox depth, follows a machine actor's statechart as it moves, kills an actor once confirmed, and refuses requests without the token", async () => {
    if (!existsSync(chromiumPath)) throw new Error(`a browser is needed at ${chromiumPath} (Debian: apt-get install chromium; or set CHROMIUM_PATH)`);
    const kernel = await Kernel.boot();
    kernel.spawn<SupervisorMsg>(supervisor({ children: [{ id: 'light', start: fromMachine(lightMachine), options: { name: 'light' } }] }), {
      name: 'crossing',
    });
    // An actor stuck on its first message: the rest wait in its mailbox.
    let release = () => {};
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const backlogged = kernel.spawn(
      fromSetup<{ readonly type: 'job' }>(() => ({ receive: () => stuck }), 'Backlogged'),
      { name: 'backlogged' },
    );
    for (let i = 0; i < 30; i++) backlogged.tell({ type: 'job' });
    const inspector = await inspect(kernel, { sampleMs: 100 });
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    try {
      const bare = inspector.url.replace(/\?token=.*$/, '');
      expect((await fetch(bare)).status).to.equal(403);
      expect((await fetch(`${bare}?token=${'0'.repeat(32)}`)).status).to.equal(403);
      expect(await tryWebSocket(`${bare.replace('http', 'ws')}ws`)).to.equal(403);
      expect(inspector.clients).to.equal(0);

      const page = await browser.newPage();
      await page.goto(inspector.url);
      await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor();
      await page.locator('li[data-name="light"]').waitFor();
      expect(inspector.clients).to.equal(1);
      expect(await page.locator('li[data-name="light"] [data-testid="state"]').first().textContent()).to.equal('green');
      expect(await page.getByTestId('summary').textContent()).to.match(/real kernel, seed \d+, 1 cpu\(s\), \d+ actors/);
      expect(await page.getByTestId('sched').first().textContent()).to.match(
        /^(running|idlePolling|parked) · load \d+ · run queue \d+ · \d+ switches · \d+ migrations/,
      );

      // Sorted by mailbox depth, deepest first: the stuck actor leads with the 29 jobs it has not taken.
      await page.getByTestId('sort-mailbox').click();
      await page.getByTestId('sort-mailbox').click();
      const first = page.getByTestId('actor-row').first();
      expect(await first.getAttribute('data-name')).to.equal('backlogged');
      expect(Number(await first.getByTestId('mailbox').textContent())).to.equal(29);

      // A message moves the light on, and the page follows.
      kernel.lookup<{ readonly type: 'timer' }>('light')!.tell({ type: 'timer' });
      await page.locator('li[data-name="light"] [data-testid="state"]').filter({ hasText: 'yellow' }).waitFor();

      // Its statechart, with the state it is in lit, and lit anew as it moves on.
      await page.locator('tr[data-name="light"]').getByTestId('show-machine').click();
      await page.locator('[data-testid="machine-state"][data-state="yellow"][data-active="true"]').waitFor();
      const states = await page.getByTestId('machine-state').evaluateAll((boxes) => boxes.map((box) => box.getAttribute('data-state')));
      expect(states).to.deep.equal(['green', 'yellow', 'red', 'flashing']);
      expect(await page.locator('[data-testid="machine-state"][data-active="true"]').count()).to.equal(1);
      kernel.lookup<{ readonly type: 'timer' }>('light')!.tell({ type: 'timer' });
      await page.locator('[data-testid="machine-state"][data-state="red"][data-active="true"]').waitFor();
      expect(await page.locator('[data-testid="machine-state"][data-state="yellow"]').getAttribute('data-active')).to.equal('false');

      // Killed after a confirmation, the light is restarted by its supervisor: the page counts it.
      let asked = '';
      page.once('dialog', (dialog) => {
        asked = dialog.message();
        void dialog.accept();
      });
      await page.locator('tr[data-name="light"]').getByTestId('kill').click();
      await page.locator('tr[data-name="light"] [data-testid="restarts"]').filter({ hasText: '1' }).waitFor();
      await page
        .getByTestId('acted')
        .filter({ hasText: /^kill <0\.\d+\.\d+>: done$/ })
        .waitFor();
      expect(asked).to.match(/^Kill light <0\.\d+\.\d+>\? It dies at once/);
      // Dismissed, nothing is asked of the server: a request after it is answered first, and nothing was done.
      page.once('dialog', (dialog) => void dialog.dismiss());
      await page.locator('tr[data-name="backlogged"]').getByTestId('stop').click();
      await page.locator('tr[data-name="light"]').getByTestId('show-machine').click();
      await page.locator('[data-testid="machine-state"][data-active="true"]').first().waitFor();
      expect(await page.getByTestId('acted').count()).to.equal(1);
      expect(kernel.lookup('backlogged')).to.not.equal(undefined);

      const screenshot = join(process.env.OSPREY_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'osprey-inspector-')), 'inspector.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(statSync(screenshot).size).to.be.above(1_000);
      await page.close();
    } finally {
      await browser.close();
      await inspector.close();
      release();
      await kernel.shutdown();
    }
    expect(inspector.clients).to.equal(0);
  });

  it("steps a simulated kernel's time from the page, and shows the VM's figures and a plug-in subsystem's when they are booted", async () => {
    if (!existsSync(chromiumPath)) throw new Error(`a browser is needed at ${chromiumPath} (Debian: apt-get install chromium; or set CHROMIUM_PATH)`);
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 5, subsystems: [...defaultSubsystems, virtualMemory, ledger, storage] });
    await kernel.runUntil(kernel.subsystem(virtualMemory).mmap(4 << 20, { populate: true }));
    const disk = createMemoryDevice({ name: 'sim0', sizeBytes: 4 << 20, clock: kernel.clock, random: kernel.random.stream('sim0') });
    await kernel.runUntil(kernel.subsystem(storage).openDevice(disk, { name: 'sim0' }));
    const sides = ['z0', 'z1', 'z2'].map((name) => createMemoryDevice({ name, sizeBytes: 8 << 20, clock: kernel.clock, random: kernel.random.stream(name) }));
    await kernel.runUntil(createPool(kernel.subsystem(storage), { name: 'tank', layout: 'raidz1', devices: sides }).then((pool) => pool.export()));
    // Imported with its last device gone: degraded, and the page says what that device was.
    const tank = await kernel.runUntil(importPool(kernel.subsystem(storage), sides.slice(0, 2), 'tank'));
    kernel.subsystem(ledger).record(5);
    kernel.subsystem(ledger).record(7);
    kernel.spawn(fromMachine(lightMachine), { name: 'light' });
    const inspector = await inspect(kernel, { sampleMs: 100 });
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(inspector.url);
      await page.locator('li[data-name="light"]').waitFor();
      await page.getByTestId('step-100').click();
      await page.getByTestId('virtual-time').filter({ hasText: '100 ms' }).waitFor();
      await page.getByTestId('step-1000').click();
      await page.getByTestId('virtual-time').filter({ hasText: '1100 ms' }).waitFor();
      expect(kernel.clock.now()).to.equal(1_100);
      expect(await page.getByTestId('vm').first().textContent()).to.match(
        /^vm · 60\.0 MiB free of 64\.0 MiB · 1 mappings · \d+ faults · TLB \d+ hits, \d+ misses · pressure normal$/,
      );
      // A subsystem the page does not know shows its status's figures.
      expect(await page.locator('[data-testid="subsystem"][data-name="ledger"]').textContent()).to.equal('ledger · entries 2 · total 12');
      // The storage subsystem: its devices, and each pool as zpool status lays it out.
      expect(await page.getByTestId('zfs').locator('div.label').first().textContent()).to.match(/^zfs · sim0 online, tank-[0-9a-f]{16} online, /);
      const pool = (await page.locator('[data-testid="zfs-pool"][data-name="tank"]').textContent())!.split('\n');
      expect(pool[0]).to.match(/^tank · raidz1 · txg \d+ \(open\) · [\d.]+ MiB used, [\d.]+ MiB free$/);
      expect(pool[1]).to.match(/^NAME +STATE +READ WRITE CKSUM$/);
      expect(pool[2]).to.match(/^tank +DEGRADED +$/);
      expect(pool[3]).to.match(/^ {2}raidz1-0 +DEGRADED +$/);
      expect(pool.slice(4)).to.have.length(3);
      for (const row of pool.slice(4, 6)) expect(row).to.match(/^ {4}tank-[0-9a-f]{16} +ONLINE +0 +0 +0$/);
      expect(pool[6]).to.match(/^ {4}tank-[0-9a-f]{16} +UNAVAIL +0 +0 +0 {2}was z2$/);
      expect(new URL(page.url()).search, 'the token is gone from the address bar').to.equal('');
    } finally {
      await browser.close();
      await inspector.close();
      await kernel.runUntil(tank.export());
      await kernel.runUntil(kernel.shutdown());
    }
  });

  it('shows the message flow between the actors a page follows, and nothing of the others', async () => {
    if (!existsSync(chromiumPath)) throw new Error(`a browser is needed at ${chromiumPath} (Debian: apt-get install chromium; or set CHROMIUM_PATH)`);
    type Rally = { readonly type: 'ball' | 'serve'; readonly to: ActorRef<Rally> };
    const kernel = await Kernel.boot();
    // Ping and pong pass a ball every 20 ms; pong also rallies with a bystander, which is not followed.
    const Passer = fromSetup<Rally>(
      () => ({
        receive: (message, ctx) =>
          message.type === 'serve'
            ? void message.to.tell({ type: 'ball', to: ctx.self })
            : ctx.startTimer(`pass ${message.to.pid}`, 20, { type: 'serve', to: message.to }),
      }),
      'Passer',
    );
    const ping = kernel.spawn(Passer, { name: 'ping' });
    const pong = kernel.spawn(Passer, { name: 'pong' });
    const bystander = kernel.spawn(Passer, { name: 'bystander' });
    ping.tell({ type: 'serve', to: pong });
    bystander.tell({ type: 'serve', to: pong });
    const inspector = await inspect(kernel, { sampleMs: 100 });
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(inspector.url);
      await page.locator('tr[data-name="ping"]').waitFor();
      await page.locator('tr[data-name="ping"]').getByTestId('follow').check();
      await page.locator('tr[data-name="pong"]').getByTestId('follow').check();
      const arrow = (from: string, to: string, type: string) =>
        page.locator(`[data-testid="flow-arrow"][data-from="${from}"][data-to="${to}"][data-type="${type}"]`);
      await arrow('ping', 'pong', 'ball').first().waitFor();
      await arrow('pong', 'ping', 'ball').first().waitFor();
      const arrows = await page
        .getByTestId('flow-arrow')
        .evaluateAll((nodes) => nodes.map((node) => `${node.getAttribute('data-from')} → ${node.getAttribute('data-to')}: ${node.getAttribute('data-type')}`));
      // Their passes, and the serves each times to itself; never the bystander's rally with pong.
      expect(
        arrows.every((line) => /^(ping|pong) → (ping|pong): (ball|serve)$/.test(line)),
        arrows.join('\n'),
      ).to.equal(true);
      // The same flow as Mermaid, which Mermaid's parser takes.
      await page.getByText('as Mermaid').click();
      const mermaid = (await page.getByTestId('flow-mermaid').textContent()) ?? '';
      expect(mermaid).to.match(/^sequenceDiagram\n {2}participant p0 as (ping|pong) #60;0\.\d+\.\d+#62;\n/);
      expect(mermaid).to.match(/ {2}p[01]->>p[01]: ball/);
      expect(await mermaidErrors([mermaid])).to.deep.equal([null]);
      await page.screenshot({ path: join(mkdtempSync(join(tmpdir(), 'osprey-flow-')), 'flow.png') });
    } finally {
      await browser.close();
      await inspector.close();
      await kernel.shutdown();
    }
  });
});
