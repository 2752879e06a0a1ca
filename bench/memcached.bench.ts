// `osprey memcached` against Debian's memcached, on this machine in the same run: the same load
// from memcaslap (libmemcached-tools) against each, with the same threads, connections and
// duration. Threads: 1, or MEMCACHED_THREADS (`-t` of both servers; ours then runs its sockets on
// CPU 0 and serves on that many worker CPUs beside it, as memcached's listener and workers do). memcaslap's default mix: 90 % gets, 10 % sets, values of 1–1024 bytes (its defaults).
// A second baseline, node-memcached.ts, is the least a Node program can do to answer that load
// (a Map behind `net.Server`): the ceiling of Node's sockets here, which no server in Node passes.
//
// Cases, in rotating order over REPS repetitions (so drift hits all alike): get and set
// throughput (ops/s) and mean latency (µs) as memcaslap reports them. Ratios: ours over memcached's
// for total ops/s (goal ≥ 0.5) and mean get latency, and ours over the Node ceiling. About 90 s.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { emit, emitRatio, summary } from './harness.js';

const REPS = 3;
const SECONDS = 6;
const CONNECTIONS = 16;
const MEMORY_MB = 64;
const THREADS = Number(process.env.MEMCACHED_THREADS ?? 1);

interface SlapFigures {
  readonly getOps: number;
  readonly setOps: number;
  readonly getAvgUs: number;
  readonly setAvgUs: number;
}

/** A free TCP port on loopback. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** Starts `command`; resolves once something accepts connections on its port (`port`, or the one its output names). */
async function startServer(command: string, args: string[], port: number | null): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`${command}: ${error.message} (Debian: apt-get install memcached libmemcached-tools)`)));
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}: ${output}`)));
  });
  const named = new Promise<number>((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match !== null) resolve(Number(match[1]));
    });
  });
  const listening = (async () => {
    const at = port ?? (await named);
    await untilListening(at);
    return { child, port: at };
  })();
  return Promise.race([listening, failed]);
}

/** Waits until something accepts connections on `port` (at most 5 s). */
async function untilListening(port: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepted) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** Runs memcaslap against `port`; parses the Get and Set "Global" lines. */
function memcaslap(port: number): Promise<SlapFigures> {
  const args = ['-s', `127.0.0.1:${port}`, '-t', `${SECONDS}s`, '-c', String(CONNECTIONS), '-T', '1', '-S', `${SECONDS}s`];
  return new Promise((resolve, reject) => {
    execFile('memcaslap', args, { timeout: (SECONDS + 30) * 1000 }, (error, stdout) => {
      if (error !== null) return reject(new Error(`memcaslap: ${error.message} (Debian: apt-get install libmemcached-tools)`));
      const global = (section: string) => {
        const match = new RegExp(`${section} Statistics\\n[^\\n]*\\n(?:Period[^\\n]*\\n)?Global\\s+(.*)`).exec(stdout);
        if (match === null) throw new Error(`memcaslap printed no ${section} figures:\n${stdout}`);
        // Time(s) Ops TPS Net Get_miss Min Max Avg Std Geo
        const fields = match[1]!.trim().split(/\s+/).map(Number);
        return { tps: fields[2]!, avgUs: fields[7]! };
      };
      const get = global('Get');
      const set = global('Set');
      resolve({ getOps: get.tps, setOps: set.tps, getAvgUs: get.avgUs, setAvgUs: set.avgUs });
    });
  });
}

export async function run(): Promise<void> {
  const osprey = fileURLToPath(new URL('../bin/osprey.js', import.meta.url));
  const ours = await startServer(process.execPath, [osprey, 'memcached', '-p', '0', '-m', String(MEMORY_MB), '-t', String(THREADS)], null);
  const node = await startServer(process.execPath, [fileURLToPath(new URL('node-memcached.js', import.meta.url))], null);
  const memcachedPort = await freePort();
  // memcached refuses to run as root unless told which user to become.
  const asUser = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
  const theirs = await startServer(
    'memcached',
    [...asUser, '-p', String(memcachedPort), '-l', '127.0.0.1', '-U', '0', '-t', String(THREADS), '-m', String(MEMORY_MB)],
    memcachedPort,
  );
  try {
    const servers = { osprey: ours, memcached: theirs, node } as const;
    const names = ['osprey', 'memcached', 'node'] as const;
    const figures: Record<(typeof names)[number], SlapFigures[]> = { osprey: [], memcached: [], node: [] };
    for (let rep = 0; rep < REPS; rep++) {
      for (let i = 0; i < names.length; i++) {
        const which = names[(rep + i) % names.length]!;
        figures[which].push(await memcaslap(servers[which].port));
      }
    }
    const label = { osprey: 'osprey memcached', memcached: "Debian's memcached 1.6", node: 'Node ceiling: a Map behind net.Server, get and set only' };
    const results = Object.fromEntries(
      names.map((which) => {
        const runs = figures[which];
        const context = { threads: which === 'node' ? 1 : THREADS, connections: CONNECTIONS, seconds: SECONDS };
        const total = summary(
          `${label[which]}: get+set ops/s, memcaslap 90/10`,
          'ops/s',
          runs.map((f) => f.getOps + f.setOps),
          context,
        );
        const getLatency = summary(
          `${label[which]}: mean get latency, memcaslap`,
          'us',
          runs.map((f) => f.getAvgUs),
          context,
        );
        const setLatency = summary(
          `${label[which]}: mean set latency, memcaslap`,
          'us',
          runs.map((f) => f.setAvgUs),
          context,
        );
        for (const result of [total, getLatency, setLatency]) emit(result);
        return [which, { total, getLatency }];
      }),
    ) as Record<(typeof names)[number], { total: ReturnType<typeof summary>; getLatency: ReturnType<typeof summary> }>;
    emitRatio({
      name: `osprey memcached / Debian's memcached: ops/s, ${THREADS} thread${THREADS === 1 ? '' : 's'} each`,
      numerator: results.osprey.total,
      denominator: results.memcached.total,
      goal: 0.5,
      goalKind: 'min',
    });
    emitRatio({
      name: "osprey memcached / Debian's memcached: mean get latency",
      numerator: results.osprey.getLatency,
      denominator: results.memcached.getLatency,
      goalKind: 'max',
    });
    emitRatio({
      name: `osprey memcached (-t ${THREADS}) / the Node ceiling (one thread): ops/s`,
      numerator: results.osprey.total,
      denominator: results.node.total,
      goalKind: 'min',
    });
    emitRatio({
      name: `the Node ceiling (one thread) / Debian's memcached (-t ${THREADS}): ops/s`,
      numerator: results.node.total,
      denominator: results.memcached.total,
      goalKind: 'min',
    });
  } finally {
    for (const server of [ours, theirs, node]) server.child.kill('SIGTERM');
  }
}
