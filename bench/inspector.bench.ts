// The live inspector (inspector/inspector-server.ts): what it costs the kernel, and how often the page
// keeps up.
//
// Cases (each the median of 5 repetitions after a warm-up):
// 1. a ring of 1 000 actors passing 2 000 000 messages, 100 in flight, on four kernels measured (each rep starting at another)
//    interleaved: no inspector, an inspector nobody watches, an inspector a client watches (status
//    samples every 50 ms, the fastest allowed), and one whose client also follows two actors of the
//    ring (so the kernel's event stream runs: every send and receive is an event); ratios against no
//    inspector (goal for the unwatched one: ≥ 0.95, what one branch per event allows);
// 2. a status sample of a kernel of 10 000 idle actors (every CPU's status, as JSON): samples per second;
// 3. with Debian's chromium (CHROMIUM_PATH), the page watching that kernel at the fastest sampling:
//    renders per second (the page's update rate with 10 000 actors). Left out without a browser.
// About 40 s.

import { existsSync } from 'node:fs';
import WebSocket from 'ws';
import { type ActorRef, formatPid, fromSetup, Kernel } from '../boot/index.js';
import { inspect, inspectorSampleMsMin, type InspectorServer } from '../inspector/index.js';
import { emit, emitRatio, maybeGc, printLine, summary } from './harness.js';

const REPS = 5;
const RING = 1_000;
const IN_FLIGHT = 100;
const MESSAGES = 2_000_000;
const IDLE_ACTORS = 10_000;
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

type Token = { readonly type: 'token'; readonly left: number };

/** A kernel with a ring of actors; `pass` sends `MESSAGES` tokens round it and resolves when all arrived. */
async function ringKernel(): Promise<{ kernel: Kernel; pass: () => Promise<number>; refs: readonly ActorRef<Token>[] }> {
  const kernel = await Kernel.boot();
  let done: () => void = () => {};
  let arrived = 0;
  const refs: ActorRef<Token>[] = [];
  for (let i = 0; i < RING; i++) {
    const index = i;
    refs.push(
      kernel.spawn(
        fromSetup<Token>(
          () => ({
            receive(message) {
              if (message.left === 0) {
                if (++arrived === IN_FLIGHT) done();
                return;
              }
              refs[(index + 1) % RING]!.tell({ type: 'token', left: message.left - 1 });
            },
          }),
          'RingNode',
        ),
      ),
    );
  }
  const pass = () =>
    new Promise<number>((resolve) => {
      arrived = 0;
      done = () => resolve(MESSAGES);
      for (let i = 0; i < IN_FLIGHT; i++) refs[(i * 10) % RING]!.tell({ type: 'token', left: MESSAGES / IN_FLIGHT - 1 });
    });
  return { kernel, pass, refs };
}

/**
 * Connects a client that takes every message, as a page would, following `followed`; resolves once
 * it is in, and rejects if the server refuses the follow. It parses only until then: what it costs
 * to read the flow is the page's, not the kernel's.
 */
function watch(inspector: InspectorServer, followed: readonly ActorRef<Token>[] = []): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${inspector.url.replace('http', 'ws').replace('/?', '/ws?')}`);
    const untilFollowing = (data: WebSocket.RawData) => {
      const message = JSON.parse(String(data)) as { type: string; text?: string };
      if (message.type === 'error') reject(new Error(`the inspector refused the follow: ${message.text}`));
      if (message.type !== 'following') return;
      socket.off('message', untilFollowing);
      socket.on('message', () => {});
      resolve(socket);
    };
    socket.once('open', () => {
      if (followed.length === 0) {
        socket.on('message', () => {});
        resolve(socket);
        return;
      }
      socket.on('message', untilFollowing);
      socket.send(JSON.stringify({ type: 'follow', pids: followed.map((ref) => formatPid(ref.pid)) }));
    });
    socket.once('error', reject);
  });
}

export async function run(): Promise<void> {
  // 1. The kernel's own work, with and without the inspector.
  const plain = await ringKernel();
  const unwatched = await ringKernel();
  const watched = await ringKernel();
  const followed = await ringKernel();
  const idleInspector = await inspect(unwatched.kernel, { sampleMs: inspectorSampleMsMin });
  const watchedInspector = await inspect(watched.kernel, { sampleMs: inspectorSampleMsMin });
  const followedInspector = await inspect(followed.kernel, { sampleMs: inspectorSampleMsMin });
  // Connected only while its case runs: in this one thread, its samples would slow the others too.
  let client: WebSocket | null = null;
  const cases = [
    { name: 'a 1000-actor ring, no inspector', ring: plain, values: [] as number[] },
    { name: 'a 1000-actor ring, an inspector nobody watches', ring: unwatched, values: [] as number[] },
    { name: 'a 1000-actor ring, an inspector a client watches (samples every 50 ms)', ring: watched, values: [] as number[] },
    { name: 'a 1000-actor ring, an inspector a client watches, following 2 of its actors (the event stream on)', ring: followed, values: [] as number[] },
  ];
  for (let rep = -1; rep < REPS; rep++) {
    // Each rep starts at another case: no kernel always runs first, or right after the costly one.
    for (let index = 0; index < cases.length; index++) {
      const entry = cases[(index + rep + 1) % cases.length]!;
      if (entry.ring === watched) client = await watch(watchedInspector);
      if (entry.ring === followed) client = await watch(followedInspector, followed.refs.slice(0, 2));
      maybeGc();
      const t0 = process.hrtime.bigint();
      const messages = await entry.ring.pass();
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (rep >= 0) entry.values.push(messages / seconds);
      client?.close();
      client = null;
    }
  }
  const [none, idle, busy, streaming] = cases.map((entry) => summary(entry.name, 'msg/s', entry.values));
  for (const result of [none!, idle!, busy!, streaming!]) emit(result);
  emitRatio({ name: 'ring throughput, an inspector nobody watches / none', numerator: idle!, denominator: none!, goal: 0.95, goalKind: 'min' });
  emitRatio({ name: 'ring throughput, an inspector a client watches / none', numerator: busy!, denominator: none!, goalKind: 'min' });
  emitRatio({ name: 'ring throughput, a client following actors (event stream on) / none', numerator: streaming!, denominator: none!, goalKind: 'min' });
  await idleInspector.close();
  await watchedInspector.close();
  await followedInspector.close();
  for (const { ring } of cases) await ring.kernel.shutdown();

  // 2. A status sample of 10 000 actors.
  const crowd = await Kernel.boot();
  const Idle = fromSetup<{ readonly type: 'poke' }>(() => ({ receive: () => {} }), 'Idle');
  for (let i = 0; i < IDLE_ACTORS; i++) crowd.spawn(Idle, { name: `idle-${i}` });
  const sampleValues: number[] = [];
  for (let rep = -1; rep < REPS; rep++) {
    const t0 = process.hrtime.bigint();
    const text = JSON.stringify({ type: 'status', cpus: await crowd.cpuStatuses() });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (text.length === 0) throw new Error('an empty sample');
    if (rep >= 0) sampleValues.push(1 / seconds);
  }
  emit(summary("status samples per second, 10 000 actors (every CPU's status, as JSON)", 'samples/s', sampleValues));

  // 3. The page's update rate with 10 000 actors, in a real browser.
  if (!existsSync(chromiumPath)) {
    printLine({ bench: 'inspector', name: "the page's update rate, 10 000 actors", unit: 'renders/s', skipped: `no browser at ${chromiumPath}` });
  } else {
    const { chromium } = await import('playwright-core');
    const inspector = await inspect(crowd, { sampleMs: inspectorSampleMsMin });
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    const page = await browser.newPage();
    await page.goto(inspector.url);
    await page.waitForFunction(() => Number(document.body.dataset.renders ?? 0) >= 2);
    const renderValues: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      const before = Number(await page.evaluate(() => document.body.dataset.renders ?? 0));
      const t0 = process.hrtime.bigint();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const after = Number(await page.evaluate(() => document.body.dataset.renders ?? 0));
      renderValues.push((after - before) / (Number(process.hrtime.bigint() - t0) / 1e9));
    }
    emit(summary("the page's update rate, 10 000 actors, sampled every 50 ms", 'renders/s', renderValues));
    await browser.close();
    await inspector.close();
  }
  await crowd.shutdown();
}
