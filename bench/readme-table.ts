// Writes the README's table of figures from the JSON lines of one `npm run bench` run:
//
//   node dist/bench/run-all.js > bench-results.jsonl
//   node dist/bench/readme-table.js bench-results.jsonl     (or: npm run bench:readme, which does both)
//
// Each row names a figure and the baseline it is compared with, both measured in the same process
// (see harness.ts), and prints their ratio; the table between the README's `bench-table` markers is
// replaced, and nothing else. A figure the run did not produce fails the script: a renamed bench
// must be renamed here too, not silently dropped from the README.

import { readFileSync, writeFileSync } from 'node:fs';

interface Line {
  readonly bench: string;
  readonly name: string;
  readonly unit: string;
  readonly median?: number;
  readonly value?: number;
  readonly min?: number;
  readonly max?: number;
  readonly mode?: string;
}

/** Which line of the run a row shows: its file (`bench`), its name, and its mode where two share a name. */
interface Pick {
  readonly bench: string;
  readonly name: string;
  readonly mode?: string;
}

interface Row {
  readonly label: string;
  readonly figure: Pick;
  /** The peer in the same run, named as the README names it. */
  readonly baseline?: Pick & { readonly label: string };
  /**
   * The goal, as the issue sets it, and on what; `aheadOfBaseline` adds that the figure must beat
   * the baseline too (a goal such as "≤ 500 ns and faster than xstate").
   */
  readonly goal?: {
    readonly on: 'figure' | 'ratio';
    readonly kind: 'min' | 'max';
    readonly value: number;
    readonly text: string;
    readonly aheadOfBaseline?: boolean;
  };
}

/** Figures and baselines more than one row shows. */
const fairRing: Pick = { bench: 'runtime', name: 'runtime 1000-actor ring, class actors', mode: 'real' };
const handWrittenLoop = { bench: 'runtime', name: 'baseline: hand-written 1000-actor loop', label: 'hand-written circular-mailbox loop' };
const fairPingPong: Pick = { bench: 'runtime', name: 'ping-pong by tell, ns per round trip', mode: 'real' };
const xstateRequestReply = {
  bench: 'runtime',
  name: 'baseline: xstate fromCallback request/reply (await a promise its callback resolves), ns',
  label: 'xstate `fromCallback` request/reply',
};
const askGoal = { on: 'figure', kind: 'max', value: 500, text: '≤ 500 ns and faster than xstate', aheadOfBaseline: true } as const;
const crossCpuTell: Pick = { bench: 'cpu', name: 'runtime one-way main (cpu 0) -> Sink on cpu 1, tell per message' };
const plainReads = { bench: 'vm', name: 'plain Uint32Array reads (2 MiB, sequential)', label: 'a plain `Uint32Array`' };
const handOffByRemap: Pick = { bench: 'vm', name: 'hand 1 MiB to cpu 1 and back: move the mapping (mremap + ask)' };
const postMessageBatched = { bench: 'cpu', name: 'postMessage one-way main->worker, 64 pings per post', label: '`postMessage`, 64 messages per post' };

const rows: readonly Row[] = [
  {
    label: 'tell→receive, 1000 actors, 100 in flight, fair scheduler (the default)',
    figure: fairRing,
    baseline: handWrittenLoop,
    goal: { on: 'ratio', kind: 'min', value: 0.5, text: '≥ 0.5×' },
  },
  {
    label: 'same, `fifo` policy',
    figure: { bench: 'runtime', name: 'runtime 1000-actor ring, class actors, fifo dispatcher' },
    baseline: handWrittenLoop,
  },
  {
    label: 'same, fair scheduler, against xstate',
    figure: fairRing,
    baseline: { bench: 'runtime', name: 'baseline: xstate v5 actor.send loop', label: 'xstate machine actors, `actor.send`' },
    goal: { on: 'ratio', kind: 'min', value: 1, text: 'ahead' },
  },
  {
    label: 'ping-pong round trip by tell, fair scheduler',
    figure: fairPingPong,
    baseline: { bench: 'runtime', name: 'ping-pong by tell, ns per round trip, fifo dispatcher', label: 'the `fifo` policy' },
    goal: { on: 'ratio', kind: 'max', value: 1.5, text: '≤ 1.5× `fifo`' },
  },
  {
    label: 'same, against xstate',
    figure: fairPingPong,
    baseline: {
      bench: 'runtime',
      name: 'baseline: ping-pong by send between two xstate fromCallback actors, ns per round trip',
      label: 'two xstate `fromCallback` actors',
    },
    goal: { on: 'ratio', kind: 'max', value: 1, text: 'ahead' },
  },
  {
    label: 'ask round trip from outside an actor',
    figure: { bench: 'runtime', name: 'ask round trip from outside an actor (await ref.ask), ns', mode: 'real' },
    baseline: xstateRequestReply,
    goal: askGoal,
  },
  {
    label: 'ask round trip from inside an actor',
    figure: { bench: 'runtime', name: 'ask round trip from inside an actor (await ask in an async receive), ns', mode: 'real' },
    baseline: xstateRequestReply,
    goal: askGoal,
  },
  {
    label: 'ping-pong round trip, fair scheduler, counted in instructions (real-time paths)',
    figure: { bench: 'instructions', name: 'ping-pong round trip, real-time paths, fair scheduler' },
    baseline: { bench: 'instructions', name: 'ping-pong round trip, real-time paths, fifo policy', label: 'the `fifo` policy' },
    goal: { on: 'ratio', kind: 'max', value: 1.5, text: '≤ 1.5× `fifo`' },
  },
  {
    label: 'the floor of that: `fifo`’s round trip plus two hand-offs of the scheduler alone',
    figure: { bench: 'instructions', name: 'floor: ping-pong round trip, fifo policy plus two scheduler handOffs' },
    baseline: { bench: 'instructions', name: 'ping-pong round trip, real-time paths, fifo policy', label: 'the `fifo` policy' },
  },
  {
    label: 'ask round trip from outside an actor, counted in instructions',
    figure: { bench: 'instructions', name: 'ask round trip from outside an actor, real-time paths' },
    baseline: { bench: 'instructions', name: 'baseline: xstate fromCallback request/reply', label: 'xstate `fromCallback` request/reply' },
  },
  {
    label: 'ask round trip from inside an actor, counted in instructions',
    figure: { bench: 'instructions', name: 'ask round trip from inside an actor, real-time paths' },
    baseline: { bench: 'instructions', name: 'baseline: xstate fromCallback request/reply', label: 'xstate `fromCallback` request/reply' },
  },
  {
    label: 'an awaited async method (what an ask replaces)',
    figure: { bench: 'runtime', name: 'baseline: awaited async method, ns' },
  },
  {
    label: 'spawn',
    figure: { bench: 'runtime', name: 'spawn (kernel.spawn of a small class, one parent)' },
    goal: { on: 'figure', kind: 'min', value: 1e6, text: '≥ 1 M/s' },
  },
  { label: 'heap per idle actor', figure: { bench: 'runtime', name: 'heap bytes per idle actor' } },
  {
    label: 'heap per actor after its first message',
    figure: { bench: 'runtime', name: 'heap bytes per actor after each received one message' },
    goal: { on: 'figure', kind: 'max', value: 300, text: '≤ 300 bytes' },
  },
  {
    label: 'importing the runtime, fresh process',
    figure: { bench: 'startup', name: 'import the runtime in a fresh process' },
    baseline: { bench: 'startup', name: 'baseline: import xstate in a fresh process', label: 'importing xstate' },
    goal: { on: 'figure', kind: 'max', value: 60, text: '≤ 60 ms' },
  },
  {
    label: '`Kernel.boot()` + `shutdown()`',
    figure: { bench: 'startup', name: 'Kernel.boot() + shutdown()' },
    baseline: { bench: 'startup', name: 'baseline: xstate createActor(machine).start().stop()', label: 'an xstate machine actor started and stopped' },
    goal: { on: 'figure', kind: 'max', value: 0.2, text: '≤ 0.2 ms' },
  },
  {
    label: 'the first `Kernel.boot()` + `shutdown()` in a fresh process',
    figure: { bench: 'startup', name: 'first Kernel.boot() + shutdown() in a fresh process' },
    baseline: {
      bench: 'startup',
      name: 'baseline: first xstate createActor(machine).start().stop() in a fresh process',
      label: 'the first xstate machine actor started and stopped',
    },
  },
  {
    label: '`Kernel.boot({ cpus: 2 })` + one ask to CPU 1 + `shutdown()`',
    figure: { bench: 'startup', name: 'Kernel.boot({ cpus: 2 }) + one ask to cpu 1 + shutdown()' },
    baseline: { bench: 'startup', name: 'baseline: a bare Worker starts, answers one message, terminates', label: 'a bare `Worker` answering one message' },
    goal: { on: 'ratio', kind: 'max', value: 1.5, text: '≤ 1.5×' },
  },
  {
    label: 'the floor of a two-CPU boot: a `Worker` that only imports the package and a boot module',
    figure: { bench: 'startup', name: 'floor: a Worker imports the package and a boot module, answers one message, terminates' },
    baseline: { bench: 'startup', name: 'baseline: a bare Worker starts, answers one message, terminates', label: 'a bare `Worker` answering one message' },
  },
  {
    label: 'cross-CPU tell, main thread → worker',
    figure: crossCpuTell,
    baseline: postMessageBatched,
    goal: { on: 'ratio', kind: 'min', value: 1, text: '≥ 1×' },
  },
  {
    label: 'same, against one message per post',
    figure: crossCpuTell,
    baseline: { bench: 'cpu', name: 'postMessage one-way main->worker, the ping object per post', label: '`postMessage`, one message per post' },
  },
  {
    label: 'cross-CPU tell, counted in instructions (sender and receiver, simulated CPUs)',
    figure: { bench: 'instructions', name: 'cross-CPU tell, simulated two-CPU kernel, sender and receiver' },
    baseline: {
      bench: 'instructions',
      name: 'baseline: structuredClone of 64 messages, per message',
      label: '`structuredClone` of 64 messages (what `postMessage` does to them), per message',
    },
  },
  {
    label: 'cross-CPU ask round trip, worker → worker, awake',
    figure: { bench: 'cpu', name: 'runtime ask RTT cpu 1 -> Echo on cpu 2, receivers awake (timed inside cpu 1)' },
    baseline: { bench: 'cpu', name: 'postMessage ping-pong RTT', label: '`postMessage` ping-pong' },
    goal: { on: 'ratio', kind: 'max', value: 1 / 25, text: '25× faster' },
  },
  {
    label: 'the ceiling of cross-CPU asks: bare rings + codec, both threads spinning, no runtime',
    figure: { bench: 'cpu', name: 'bare rings + runtime codec ask RTT main -> echo worker, both spinning' },
    baseline: { bench: 'cpu', name: 'postMessage ping-pong RTT', label: '`postMessage` ping-pong' },
  },
  {
    label: 'the cores’ ceiling of cross-CPU asks: bare rings, a 4-byte frame sent back as it came, no codec',
    figure: {
      bench: 'cpu',
      name: "bare rings ask RTT main -> echo worker, 4-byte frames sent back as they came, no codec, both spinning (the cores' floor)",
    },
    baseline: { bench: 'cpu', name: 'postMessage ping-pong RTT', label: '`postMessage` ping-pong' },
  },
  {
    label: 'cross-CPU ask round trip, both CPUs parked 2 ms',
    figure: { bench: 'cpu', name: 'runtime ask RTT main -> Echo on cpu 1, both parked (2 ms pause before each ask)' },
    baseline: { bench: 'cpu', name: 'postMessage RTT, both parked (2 ms pause before each)', label: '`postMessage` after the same pause' },
    goal: { on: 'ratio', kind: 'max', value: 1.5, text: '≤ 1.5×' },
  },
  {
    label: 'interrupt → handler on the raising CPU, from an actor’s turn',
    figure: { bench: 'irq', name: 'interrupt-to-handler latency, raised from another actor’s turn' },
  },
  {
    label: 'interrupt → handler across CPUs, handler CPU busy',
    figure: { bench: 'irq', name: 'interrupt-to-handler latency across CPUs, handler CPU busy with a fair-class actor' },
    baseline: { bench: 'irq', name: 'interrupt-to-handler latency, handler on the raising CPU (same-run baseline)', label: 'the handler on the raising CPU' },
  },
  {
    label: 'the event stream with one subscriber (2 events per message)',
    figure: { bench: 'runtime', name: 'runtime ring (class), one counting event subscriber' },
    baseline: { bench: 'runtime', name: 'runtime ring (class), no event subscriber', label: 'the same ring, nobody subscribed' },
  },
  {
    label: 'scheduler decision, 100 runnable (pick + charge + switch)',
    figure: { bench: 'sched', name: 'sched pickNext (switching), 100 runnable' },
    baseline: { bench: 'sched', name: 'FIFO ring queue shift+push, 100 runnable', label: 'a FIFO queue shift + push' },
  },
  {
    label: 'the ceiling of cross-CPU tells: bare ring + codec, no runtime',
    figure: { bench: 'cpu', name: 'bare SPSC ring + runtime codec, encode+stage per message, published per 64, worker decodes' },
    baseline: postMessageBatched,
  },
  {
    label: 'notifies per park, streaming',
    figure: { bench: 'cpu', name: 'notifies per park, cpu 1 doorbell, whole run' },
    goal: { on: 'figure', kind: 'max', value: 1.5, text: '≤ 1.5' },
  },
  {
    label: '2 CPUs, CPU-bound actors (2 cores)',
    figure: { bench: 'cpu', name: 'total throughput, 2 cpu(s), a Streamer feeding a BusySink on each cpu' },
    baseline: { bench: 'cpu', name: 'total throughput, 1 cpu(s), a Streamer feeding a BusySink on each cpu', label: '1 CPU' },
  },
  {
    label: 'interrupt events per handler wake at saturation',
    figure: { bench: 'irq', name: 'events per wake at saturation (producer 1024/turn > batch 256)' },
    goal: { on: 'figure', kind: 'min', value: 100, text: '≥ 100' },
  },
  { label: 'fairness, 8 equal hogs, 60 s simulated (Jain’s index)', figure: { bench: 'sched', name: "Jain's fairness index, 8 equal hogs, 60 s simulated" } },
  {
    label: 'simulation: simulated time per wall second, an actor on a timer',
    figure: { bench: 'sim', name: 'simulated seconds per wall second, an actor on a 100 ms timer for a simulated hour' },
    goal: { on: 'figure', kind: 'min', value: 1000, text: '≥ 1000' },
  },
  {
    label: 'simulation: deliveries per wall second, ping-pong',
    figure: { bench: 'sim', name: 'deliveries per wall second on a simulated kernel, ping-pong by tell' },
    goal: { on: 'figure', kind: 'min', value: 1e6, text: '≥ 1 M/s' },
  },
  ...['counter', 'bank', 'eager-supervisor', 'lease'].map((example) => ({
    label: `simulation: a campaign of examples/sim/${example}.sim's fix`,
    figure: { bench: 'sim', name: `seeds per second, a campaign of examples/sim/${example}.sim's fix` },
  })),
  {
    label: 'a 1000-actor ring with an inspector nobody watches',
    figure: { bench: 'inspector', name: 'a 1000-actor ring, an inspector nobody watches' },
    baseline: { bench: 'inspector', name: 'a 1000-actor ring, no inspector', label: 'no inspector' },
    goal: { on: 'ratio', kind: 'min', value: 0.95, text: '≥ 0.95×' },
  },
  {
    label: 'same, a client watching (samples every 50 ms)',
    figure: { bench: 'inspector', name: 'a 1000-actor ring, an inspector a client watches (samples every 50 ms)' },
    baseline: { bench: 'inspector', name: 'a 1000-actor ring, no inspector', label: 'no inspector' },
  },
  {
    label: 'same, the client following 2 of its actors (the event stream on)',
    figure: { bench: 'inspector', name: 'a 1000-actor ring, an inspector a client watches, following 2 of its actors (the event stream on)' },
    baseline: { bench: 'inspector', name: 'a 1000-actor ring, no inspector', label: 'no inspector' },
  },
  {
    label: 'inspector: status samples, 10 000 actors',
    figure: { bench: 'inspector', name: "status samples per second, 10 000 actors (every CPU's status, as JSON)" },
  },
  {
    label: "inspector: the page's update rate, 10 000 actors",
    figure: { bench: 'inspector', name: "the page's update rate, 10 000 actors, sampled every 50 ms" },
  },
  {
    label: 'storage: 4 KiB writes to the file device, 32 in flight',
    figure: { bench: 'block', name: 'file device: write, 4 KiB, 32 in flight' },
    baseline: { bench: 'block', name: 'raw fs: FileHandle.write, 4 KiB, 32 in flight', label: 'raw `fs` FileHandle.write' },
  },
  {
    label: 'same, reads',
    figure: { bench: 'block', name: 'file device: read, 4 KiB, 32 in flight' },
    baseline: { bench: 'block', name: 'raw fs: FileHandle.read, 4 KiB, 32 in flight', label: 'raw `fs` FileHandle.read' },
  },
  {
    label: 'storage: 4 KiB writes through the device actor (answered from interrupts)',
    figure: { bench: 'block', name: 'device actor: write asks answered from interrupts, 4 KiB, 32 in flight' },
    baseline: { bench: 'block', name: 'raw fs: FileHandle.write, 4 KiB, 32 in flight', label: 'raw `fs` FileHandle.write' },
  },
  {
    label: 'storage: fletcher4 of 128 KiB blocks',
    figure: { bench: 'block', name: 'fletcher4, 128 KiB blocks' },
    baseline: { bench: 'block', name: 'sha256, 128 KiB blocks', label: "sha256 (Node's crypto)" },
  },
  {
    label: 'storage: sequential write through the file API, then fsync (32 MiB, 128 KiB records)',
    figure: { bench: 'pool', name: 'pool: sequential write through the file API, then fsync (32 MiB in 1 MiB writes)' },
    baseline: {
      bench: 'pool',
      name: 'baseline: raw fs: FileHandle.write, then datasync (sequential write through the file API, then fsync (32 MiB in 1 MiB writes))',
      label: 'raw `fs` writes, then datasync',
    },
    goal: { on: 'ratio', kind: 'min', value: 0.5, text: '≥ 0.5×' },
  },
  {
    label: 'same, on RAID-Z1 of three device files (on the one disk)',
    figure: { bench: 'pool', name: 'pool: sequential write through the file API on RAID-Z1 of three, then fsync (32 MiB in 1 MiB writes)' },
    baseline: {
      bench: 'pool',
      name: 'baseline: raw fs: FileHandle.write, then datasync (sequential write through the file API on RAID-Z1 of three, then fsync (32 MiB in 1 MiB writes))',
      label: 'raw `fs` writes, then datasync',
    },
  },
  {
    label: 'same, sequential read (into a reused buffer; recent blocks come from the pool’s cache)',
    figure: { bench: 'pool', name: 'pool: sequential read through the file API (32 MiB in 1 MiB reads)' },
    baseline: {
      bench: 'pool',
      name: 'baseline: raw fs: FileHandle.read (sequential read through the file API (32 MiB in 1 MiB reads))',
      label: 'raw `fs` reads',
    },
    goal: { on: 'ratio', kind: 'min', value: 0.5, text: '≥ 0.5×' },
  },
  {
    label: 'storage: 4 KiB random reads through the file API, 16 in flight',
    figure: { bench: 'pool', name: 'pool: 4 KiB random reads through the file API, 16 in flight' },
    baseline: { bench: 'pool', name: 'baseline: raw fs: FileHandle.read (4 KiB random reads through the file API, 16 in flight)', label: 'raw `fs` reads' },
  },
  { label: 'storage: commit latency (fsync after a 4 KiB write)', figure: { bench: 'pool', name: 'pool: commit latency (fsync after a 4 KiB write), ms' } },
  { label: 'storage: scrub rate (every copy read and verified)', figure: { bench: 'pool', name: 'pool: scrub rate (every copy read and verified)' } },
  {
    label: 'VM: reads through a view of a 2 MiB page (TLB hits)',
    figure: { bench: 'vm', name: 'VM reads through a view of a 2 MiB huge page (sequential)' },
    baseline: plainReads,
    goal: { on: 'ratio', kind: 'min', value: 0.5, text: '≥ 0.5×' },
  },
  {
    label: 'VM: writes through a view of a 2 MiB page',
    figure: { bench: 'vm', name: 'VM writes through a view of a 2 MiB huge page (sequential)' },
    baseline: { bench: 'vm', name: 'plain Uint32Array writes (2 MiB, sequential)', label: 'a plain `Uint32Array`' },
    goal: { on: 'ratio', kind: 'min', value: 0.5, text: '≥ 0.5×' },
  },
  { label: 'VM: `readU32`, TLB hits', figure: { bench: 'vm', name: 'VM readU32, TLB hits (1 MiB of 4 KiB pages, sequential)' }, baseline: plainReads },
  {
    label: 'VM: `readU32`, TLB misses (4 KiB pages)',
    figure: { bench: 'vm', name: 'VM readU32, TLB misses (one word per 4 KiB page over 16 MiB)' },
    baseline: plainReads,
  },
  {
    label: 'VM: `readU32`, huge pages, a new page each read',
    figure: { bench: 'vm', name: 'VM readU32, huge pages (one word per 4 KiB over 16 MiB of 2 MiB pages)' },
    baseline: plainReads,
  },
  { label: 'VM: page faults, 4 KiB pages', figure: { bench: 'vm', name: 'page faults, 4 KiB pages (first write; frame zeroed if reused)' } },
  { label: 'VM: page faults, 2 MiB pages', figure: { bench: 'vm', name: 'page faults, 2 MiB pages (first write; 2 MiB zeroed if reused)' } },
  {
    label: 'VM: mmap + munmap of 64 KiB, asks to the mapper actor',
    figure: { bench: 'vm', name: 'mmap + munmap of 64 KiB, asks to the mapper actor (2-CPU kernel)' },
  },
  {
    label: 'VM: hand 1 MiB from the main thread to CPU 1 and back, moving the mapping',
    figure: handOffByRemap,
    baseline: { bench: 'vm', name: 'hand 1 MiB to cpu 1 and back: copy through the ring (32 KiB messages)', label: 'copying it through the ring' },
    goal: { on: 'ratio', kind: 'max', value: 1, text: 'faster' },
  },
  {
    label: 'same, against `postMessage`',
    figure: handOffByRemap,
    baseline: { bench: 'vm', name: 'hand 1 MiB to a bare worker and back: postMessage, buffer transferred', label: '`postMessage`, the buffer transferred' },
    goal: { on: 'ratio', kind: 'max', value: 1, text: 'faster' },
  },
  {
    label: 'same, 16 buffers in flight (an ask each, against one message for all 16)',
    figure: { bench: 'vm', name: 'hand 1 MiB buffers to cpu 1 and back, 16 in flight: move the mapping (mremap + ask)' },
    baseline: {
      bench: 'vm',
      name: 'hand 1 MiB buffers to a bare worker, 16 in flight: postMessage, buffers transferred there and back',
      label: '`postMessage`, the buffers transferred',
    },
  },
];

const begin = '<!-- bench-table: begin (written by bench/readme-table.ts; do not edit by hand) -->';
const end = '<!-- bench-table: end -->';

function main(): void {
  const [resultsPath, readmePath = 'README.md'] = process.argv.slice(2);
  if (resultsPath === undefined) throw new Error('usage: node dist/bench/readme-table.js <results.jsonl> [README.md]');
  const lines = readFileSync(resultsPath, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Line);
  const table = [
    '| measurement | figure | baseline in the same run | ratio | goal |',
    '|---|---|---|---|---|',
    ...rows.map((row) => renderRow(row, lines)),
  ].join('\n');
  const readme = readFileSync(readmePath, 'utf8');
  const from = readme.indexOf(begin);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${readmePath} has no bench-table markers`);
  writeFileSync(readmePath, `${readme.slice(0, from + begin.length)}\n${table}\n${readme.slice(to)}`);
  process.stderr.write(`readme-table: ${rows.length} rows written to ${readmePath}\n`);
}

function find(lines: readonly Line[], pick: Pick): Line {
  const found = lines.find((line) => line.bench === pick.bench && line.name === pick.name && (pick.mode === undefined || line.mode === pick.mode));
  if (found === undefined) throw new Error(`the run has no figure '${pick.name}' (${pick.bench}${pick.mode === undefined ? '' : `, ${pick.mode}`})`);
  return found;
}

function medianOf(line: Line): number {
  const value = line.median ?? line.value;
  if (value === undefined) throw new Error(`'${line.name}' has no median or value`);
  return value;
}

function renderRow(row: Row, lines: readonly Line[]): string {
  const figure = find(lines, row.figure);
  const figureValue = medianOf(figure);
  let baselineText = '';
  let ratioText = '';
  let ratio = Number.NaN;
  if (row.baseline !== undefined) {
    const baseline = find(lines, row.baseline);
    const baselineValue = medianOf(baseline);
    ratio = figureValue / baselineValue;
    baselineText = `${row.baseline.label}: ${formatValue(baselineValue, baseline.unit)}`;
    ratioText = describeRatio(ratio, figure.unit);
  }
  let goalText = '';
  if (row.goal !== undefined) {
    const measured = row.goal.on === 'figure' ? figureValue : ratio;
    const ahead = row.goal.aheadOfBaseline !== true || (figure.unit.endsWith('/s') ? ratio > 1 : ratio < 1);
    const met = ahead && (row.goal.kind === 'min' ? measured >= row.goal.value : measured <= row.goal.value);
    goalText = `${row.goal.text} (${met ? 'met' : 'not met'})`;
    // A ratio that misses its goal by less than the rounding shows a digit more, so that it does
    // not read as the goal itself.
    if (!met && row.goal.on === 'ratio' && Number(round(ratio)) === row.goal.value) ratioText = describeRatio(ratio, figure.unit, 4);
  }
  return `| ${row.label} | ${formatValue(figureValue, figure.unit)} | ${baselineText} | ${ratioText} | ${goalText} |`;
}

/** Rates are better higher, times and sizes lower: a ratio says which way it goes. */
function describeRatio(ratio: number, unit: string, digits = 3): string {
  const higherIsBetter = unit.endsWith('/s') || unit === 'ratio';
  if (higherIsBetter) return `${round(ratio, digits)}× its rate`;
  if (unit === 'instructions') return ratio <= 1 ? `${round(1 / ratio, digits)}× fewer` : `${round(ratio, digits)}× its count`;
  return ratio <= 1 ? `${round(1 / ratio, digits)}× faster` : `${round(ratio, digits)}× its time`;
}

function formatValue(value: number, unit: string): string {
  if (unit.endsWith('/s')) {
    const what = unit.slice(0, -2);
    return value >= 1e6 ? `${round(value / 1e6)} M ${what}/s` : value >= 1e3 ? `${round(value / 1e3)} k ${what}/s` : `${round(value)} ${unit}`;
  }
  if (unit === 'ns') return value >= 1e6 ? `${round(value / 1e6)} ms` : value >= 1e3 ? `${round(value / 1e3)} µs` : `${round(value)} ns`;
  if (unit === 'ms') return value < 1 ? `${round(value * 1e3)} µs` : `${round(value)} ms`;
  if (unit === 'bytes') return `${Math.round(value)} bytes`;
  if (unit === 'ratio' || unit === 'index') return round(value);
  return `${round(value)} ${unit}`;
}

/** `digits` significant digits (three unless said). */
function round(value: number, digits = 3): string {
  return Number(value.toPrecision(digits)).toString();
}

main();
