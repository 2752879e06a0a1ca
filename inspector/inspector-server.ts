/**
 * The live inspector: an HTTP and WebSocket server, on loopback by default, that serves the
 * inspector's page (inspector-page.ts) and pushes to it what the kernel does. A request must carry the
 * token of the address `inspect` returns; one without it is refused (403), the page and the
 * socket alike. While someone is connected, every CPU's status is sampled every `sampleMs` (on the
 * kernel's clock: a simulated kernel's moves as the program drives it) and dead letters and
 * failures are relayed as they happen; with nobody connected, it takes nothing from the kernel.
 *
 * @example
 * ```ts
 * import { inspect } from 'osprey/inspector';
 * const inspector = await inspect(kernel, { port: 7777 });
 * console.log(`inspector: ${inspector.url}`);   // http://127.0.0.1:7777/?token=…
 * // …
 * await inspector.close();
 * ```
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { DeadLetter, KernelEvent } from '../actors/runtime/events.js';
import type { ActorRef } from '../actors/runtime/ref.js';
import type { ChildFailure } from '../actors/runtime/kernel-core.js';
import type { KernelStatus } from '../actors/runtime/status.js';
import type { Clock, TimerHandle } from '../drivers/clock/clock.js';
import { describeError } from '../ground/errors.js';
import { type Pid, parsePid } from '../ground/pid.js';
import type { MachineGraph } from '../actors/runtime/machine-graph.js';
import { inspectorPage } from './inspector-page.js';
import { MessageFlows } from './message-flows.js';

/** What the inspector needs of a kernel (a `Kernel` has it all). */
export interface InspectedKernel {
  readonly clock: Clock;
  cpuStatuses(): Promise<KernelStatus[]>;
  readonly deadLetters: { subscribe(observer: (letter: DeadLetter) => void): { unsubscribe(): void } };
  readonly failures: { subscribe(observer: (failure: ChildFailure) => void): { unsubscribe(): void } };
  /** The graph of the machine a machine actor runs, lit where it is, on any CPU (`Kernel.machineGraph`): the page draws its statechart. */
  machineGraph?(pid: Pid): Promise<MachineGraph | undefined>;
  /** The actor the page asks to stop or kill (`Kernel.refOf`, `Kernel.stop`, `Kernel.exit`). */
  refOf?(pid: Pid): ActorRef<never> | undefined;
  stop?(ref: ActorRef<never>): Promise<void>;
  exit?(ref: ActorRef<never>, reason: 'kill'): void;
  /** Its event stream (`Kernel.events`), for the message flow between the actors a page follows. */
  readonly events?: { subscribe(observer: (event: KernelEvent) => void): { unsubscribe(): void } };
  /** A simulated kernel's time, which the page may step (`Kernel.advance`). */
  readonly mode?: 'real' | 'simulated';
  advance?(ms: number): Promise<void>;
}

/** The most virtual time one step from the page moves a simulated kernel, in ms. */
export const inspectorStepMsMax = 60_000;

export interface InspectOptions {
  /** The port to listen on (default 0: any free one; `url` says which). */
  readonly port?: number;
  /** The address to listen on (default 127.0.0.1: this machine only). */
  readonly host?: string;
  /** The access token (default: 128 random bits); every request must carry it. */
  readonly token?: string;
  /** How often the statuses are sampled while someone watches, in ms (default 500). */
  readonly sampleMs?: number;
}

export interface InspectorServer {
  /** The page's address, with the token: open it in a browser. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /** Pages connected now. */
  readonly clients: number;
  /** Stops serving: the pages are disconnected and the kernel is no longer watched. */
  close(): Promise<void>;
}

export const inspectorSampleMsDefault = 500;
/** The most bytes waiting to reach one page before its status samples are skipped. */
export const clientBacklogBytesMax = 1 << 20;

const plainText = { 'content-type': 'text/plain' };
/** The page loads nothing but itself, talks only to this server, and never hands its address (with the token) on. */
const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'",
};
/** The shortest sampling period: each sample walks every actor of every CPU. */
export const inspectorSampleMsMin = 50;

/** Serves the inspector of `kernel`; resolves once it listens. */
export async function inspect(kernel: InspectedKernel, options: InspectOptions = {}): Promise<InspectorServer> {
  const sampleMs = options.sampleMs ?? inspectorSampleMsDefault;
  if (!(Number.isFinite(sampleMs) && sampleMs >= inspectorSampleMsMin))
    throw new RangeError(`sampleMs must be at least ${inspectorSampleMsMin} ms, got ${sampleMs}`);
  const token = options.token ?? globalThis.crypto.randomUUID().replaceAll('-', '');
  if (token.length < 16) throw new RangeError('an inspector token has at least 16 characters');
  const host = options.host ?? '127.0.0.1';
  // ws loads here, when an inspector starts, not with osprey: importing the runtime loads no package.
  const { WebSocketServer } = await import('ws');
  const sockets = new WebSocketServer({ noServer: true });
  const watch = new Watch(kernel, sampleMs, (message) => {
    const text = JSON.stringify(message);
    for (const client of sockets.clients) {
      // A page that does not keep up misses samples rather than piling them up here.
      if (client.readyState === client.OPEN && (message.type !== 'status' || client.bufferedAmount < clientBacklogBytesMax)) client.send(text);
    }
  });
  const flows = new MessageFlows<WebSocket>(kernel.events, (client, message) => {
    if (client.readyState === client.OPEN && client.bufferedAmount < clientBacklogBytesMax) client.send(JSON.stringify(message));
  });
  const tokenBytes = Buffer.from(token);
  /** The request's address when it carries the token; null when it does not, or is no address at all. */
  const allowed = (request: IncomingMessage): URL | null => {
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://inspector');
    } catch {
      return null;
    }
    const given = Buffer.from(url.searchParams.get('token') ?? '');
    return given.length === tokenBytes.length && timingSafeEqual(given, tokenBytes) ? url : null;
  };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = allowed(request);
    if (url === null) return void response.writeHead(403, plainText).end('the inspector needs its token: open the address it printed\n');
    if (request.method !== 'GET' || url.pathname !== '/') return void response.writeHead(404, plainText).end('not found\n');
    response.writeHead(200, pageHeaders).end(inspectorPage);
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A peer that resets the connection must not take the process with it.
    socket.on('error', () => socket.destroy());
    const url = allowed(request);
    if (url === null || url.pathname !== '/ws') {
      socket.once('finish', () => socket.destroy());
      socket.end(`HTTP/1.1 ${url === null ? '403 Forbidden' : '404 Not Found'}\r\nconnection: close\r\n\r\n`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (client: WebSocket) => {
      client.on('error', () => client.terminate());
      client.on('message', (data) => {
        void answer(kernel, String(data), (pids) => flows.follow(client, pids)).then(
          (reply) => client.readyState === client.OPEN && client.send(JSON.stringify(reply)),
          () => client.terminate(),
        );
      });
      watch.joined();
      client.on('close', () => {
        flows.leave(client);
        watch.left(sockets.clients.size);
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // After it listens, an error of the server (not of one connection) is reported, not thrown.
  server.on('error', (error) => console.error(`osprey inspector: ${describeError(error)}`));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/?token=${encodeURIComponent(token)}`,
    port,
    token,
    get clients() {
      return sockets.clients.size;
    },
    async close() {
      watch.stop();
      for (const client of sockets.clients) flows.leave(client);
      for (const client of sockets.clients) client.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The answer to a page's request: the statechart of a machine actor (`{ type: 'machine', pid }`), or
 * an actor stopped (`stop`, reason `shutdown`) or killed (`kill`, as `kernel.exit(ref, 'kill')`),
 * which the page asks for only once its user confirmed.
 */
async function answer(kernel: InspectedKernel, text: string, follow: (pids: number[]) => void): Promise<object> {
  let request: { type?: unknown; pid?: unknown };
  try {
    request = JSON.parse(text) as typeof request;
  } catch {
    return { type: 'error', text: 'a request is JSON' };
  }
  if (typeof request !== 'object' || request === null) return { type: 'error', text: 'a request is a JSON object' };
  if (request.type === 'advance') return advance(kernel, (request as { ms?: unknown }).ms);
  if (request.type === 'follow') {
    const listed = (request as { pids?: unknown }).pids;
    const pids = Array.isArray(listed) ? listed.map((text) => (typeof text === 'string' ? parsePid(text) : undefined)) : [undefined];
    if (pids.some((pid) => pid === undefined)) return { type: 'error', text: 'follow takes a list of pids, as <cpu.slot.generation>' };
    try {
      follow(pids as number[]);
    } catch (error) {
      return { type: 'error', text: describeError(error) };
    }
    return { type: 'following', pids: listed };
  }
  const pid = typeof request.pid === 'string' ? parsePid(request.pid) : undefined;
  if (pid === undefined) return { type: 'error', text: `a request names an actor by its pid, as <cpu.slot.generation>: ${text.slice(0, 100)}` };
  switch (request.type) {
    case 'machine': {
      try {
        const graph = await kernel.machineGraph?.(pid);
        if (graph === undefined) return { type: 'machine', pid: request.pid, error: `${request.pid} is no live machine actor` };
        return { type: 'machine', pid: request.pid, graph };
      } catch (error) {
        return { type: 'machine', pid: request.pid, error: describeError(error) };
      }
    }
    case 'stop':
    case 'kill': {
      const ref = kernel.refOf?.(pid);
      if (ref === undefined) return { type: 'acted', pid: request.pid, action: request.type, error: `${request.pid} is not a live actor` };
      try {
        if (request.type === 'kill') kernel.exit!(ref, 'kill');
        else await kernel.stop!(ref);
        return { type: 'acted', pid: request.pid, action: request.type };
      } catch (error) {
        return { type: 'acted', pid: request.pid, action: request.type, error: describeError(error) };
      }
    }
    default:
      return { type: 'error', text: `unknown request: ${text.slice(0, 100)}` };
  }
}

/** Steps a simulated kernel's time by `ms`, as the page asks; a real kernel's time is not the page's to move. */
async function advance(kernel: InspectedKernel, ms: unknown): Promise<object> {
  if (kernel.mode !== 'simulated' || kernel.advance === undefined) return { type: 'advanced', error: "a real kernel's time moves by itself" };
  if (typeof ms !== 'number' || !(ms > 0 && ms <= inspectorStepMsMax))
    return { type: 'advanced', error: `a step is a number of ms in (0, ${inspectorStepMsMax}]` };
  try {
    await kernel.advance(ms);
    return { type: 'advanced', ms, atMs: kernel.clock.now() };
  } catch (error) {
    return { type: 'advanced', error: describeError(error) };
  }
}

/** The most causes of a failure the page is told (an error's `cause`, its cause's, …). */
export const failureCausesMax = 8;

/** What led to `error`, nearest first: its `cause`, then that one's, as text. */
export function causesOf(error: unknown): string[] {
  const causes: string[] = [];
  for (
    let at = (error as { cause?: unknown } | null)?.cause;
    at !== undefined && causes.length < failureCausesMax;
    at = (at as { cause?: unknown } | null)?.cause
  ) {
    causes.push(describeError(at));
  }
  return causes;
}

/** What watches the kernel while pages are connected: a status sample every `sampleMs`, and the dead letters and failures as they come. */
class Watch {
  private timer: TimerHandle | null = null;
  private subscriptions: { unsubscribe(): void }[] = [];
  private watching = false;

  constructor(
    private readonly kernel: InspectedKernel,
    private readonly sampleMs: number,
    private readonly send: (message: { readonly type: string; readonly [field: string]: unknown }) => void,
  ) {}

  joined(): void {
    if (this.watching) return void this.sample();
    this.watching = true;
    this.subscriptions = [
      this.kernel.deadLetters.subscribe((letter) => this.send({ type: 'dead-letter', text: `${letter.messageType} to ${letter.target}: ${letter.reason}` })),
      this.kernel.failures.subscribe((failure) =>
        this.send({ type: 'failure', text: `${failure.actor} on cpu ${failure.cpu}: ${describeError(failure.error)}`, causes: causesOf(failure.error) }),
      ),
    ];
    this.sample();
  }

  left(clients: number): void {
    if (clients === 0) this.stop();
  }

  stop(): void {
    this.watching = false;
    if (this.timer !== null) this.kernel.clock.cancelTimer(this.timer);
    this.timer = null;
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
  }

  private sample(): void {
    if (this.timer !== null) this.kernel.clock.cancelTimer(this.timer);
    this.timer = null;
    this.kernel
      .cpuStatuses()
      .then(
        (cpus) => this.watching && this.send({ type: 'status', cpus }),
        (error: unknown) => this.watching && this.send({ type: 'failure', text: `status: ${describeError(error)}` }),
      )
      .finally(() => {
        if (this.watching && this.timer === null) this.timer = this.kernel.clock.setTimer(this.sampleMs, () => this.sample());
      });
  }
}
