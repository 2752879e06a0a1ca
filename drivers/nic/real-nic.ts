/**
 * The real network device: the host's TCP through Node's `net`. Each accepted or opened socket is
 * a flow; the socket's events become `NicEvent`s handed to the attached sink, synchronously from
 * the socket's callbacks (the interrupt). Receive credits map onto `socket.pause()` and `resume()`,
 * so a consumer that stops taking data closes the TCP window and the peer's writes block: nothing is
 * read that has nowhere to go.
 *
 * @example
 * ```ts
 * const nic = createRealNic({ flowsMax: 4096 });
 * nic.attach((event) => console.log(event.kind, event.flow));
 * const { port } = await nic.listen({ port: 11211 });
 * ```
 */
import { createServer, type Server, Socket } from 'node:net';
import { copyOfBytes } from '../../ground/bytes.js';
import { mayBeRewritten } from '../../ground/rewritable-memory.js';
import {
  backlogDefault,
  dataEventBytesMax,
  type Endpoint,
  type FlowId,
  flowsMaxDefault,
  flowsMaxLimit,
  type Listening,
  type ListenerId,
  type ListenOptions,
  type NicDriver,
  NicError,
  type NicEvent,
  type NicFault,
  type NicSink,
  type NicStats,
  receiveCreditChunksDefault,
} from './nic.js';

export interface RealNicOptions {
  /** Receive credits per flow (default 32). */
  readonly receiveCreditChunks?: number;
  /** Open flows at most (default 1024); connections past it are refused. */
  readonly flowsMax?: number;
}

/** The most receive credits a flow may be configured with. */
export const receiveCreditChunksMax = 4096;

interface Flow {
  readonly socket: Socket;
  credits: number;
  paused: boolean;
  /** A write returned false and its `writable` has not been raised yet. */
  awaitingDrain: boolean;
  /** This side ended or the flow closed: writes are refused. */
  writesRefused: boolean;
  /** Writes are being gathered until the end of this tick (see `write`). */
  corked: boolean;
  closed: boolean;
  fault: NicFault | null;
}

class RealNic implements NicDriver {
  readonly kind = 'real';
  readonly receiveCreditChunks: number;
  readonly flowsMax: number;
  private sink: NicSink | null = null;
  private readonly flows = new Map<FlowId, Flow>();
  private readonly listeners = new Map<ListenerId, Server>();
  private nextFlow = 1;
  private nextListener = 1;
  private closing = false;
  private readonly counters = { flowsAccepted: 0, flowsConnected: 0, flowsRefused: 0, bytesReceived: 0, bytesSent: 0, receivePauses: 0 };

  constructor(options: RealNicOptions) {
    this.receiveCreditChunks = options.receiveCreditChunks ?? receiveCreditChunksDefault;
    this.flowsMax = options.flowsMax ?? flowsMaxDefault;
    if (!Number.isInteger(this.receiveCreditChunks) || this.receiveCreditChunks < 1 || this.receiveCreditChunks > receiveCreditChunksMax) {
      throw new RangeError(`receiveCreditChunks must be an integer in [1, ${receiveCreditChunksMax}], got ${this.receiveCreditChunks}`);
    }
    if (!Number.isInteger(this.flowsMax) || this.flowsMax < 1 || this.flowsMax > flowsMaxLimit) {
      throw new RangeError(`flowsMax must be an integer in [1, ${flowsMaxLimit}], got ${this.flowsMax}`);
    }
  }

  attach(sink: NicSink): void {
    if (this.sink !== null) throw new NicError('EBUSY', 'the NIC already has a sink attached');
    this.sink = sink;
  }

  listen(options: ListenOptions = {}): Promise<Listening> {
    this.checkUsable('listen');
    const host = options.host ?? '127.0.0.1';
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(listener, socket));
    const listener = this.nextListener++;
    return new Promise((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new NicError(error.code ?? 'EIO', `listen on ${host}:${options.port ?? 0}: ${error.message}`, { cause: error })),
      );
      server.listen({ host, port: options.port ?? 0, backlog: options.backlog ?? backlogDefault }, () => {
        // Later server errors (accept failing under EMFILE) are the kernel's to log, not a crash.
        server.on('error', () => {});
        this.listeners.set(listener, server);
        const address = server.address();
        const port = typeof address === 'object' && address !== null ? address.port : 0;
        resolve({ listener, host, port });
      });
    });
  }

  unlisten(listener: ListenerId): Promise<void> {
    const server = this.listeners.get(listener);
    if (server === undefined) return Promise.reject(new NicError('EBADF', `no listener ${listener}`));
    this.listeners.delete(listener);
    // The listening socket closes at once; the callback would wait for every accepted connection.
    server.close();
    return Promise.resolve();
  }

  connect(host: string, port: number): FlowId {
    this.checkUsable('connect');
    const socket = new Socket({ allowHalfOpen: true });
    const flow = this.open(socket);
    if (flow === null) {
      // Counted as the simulated NIC counts it: a connection refused for lack of a flow.
      this.counters.flowsRefused++;
      throw new NicError('EMFILE', `${this.flowsMax} flows are open`);
    }
    socket.once('connect', () => {
      socket.setNoDelay(true);
      this.counters.flowsConnected++;
      this.raise({ kind: 'connected', flow, local: localOf(socket), remote: remoteOf(socket) });
    });
    socket.connect({ host, port });
    return flow;
  }

  write(flow: FlowId, bytes: Uint8Array): boolean {
    const state = this.flow(flow);
    if (state.writesRefused) throw new NicError('EPIPE', `flow ${flow} is ended or closed: it takes no more writes`);
    this.counters.bytesSent += bytes.byteLength;
    // libuv writes from the bytes' memory after the call returns: memory another CPU or the VM may
    // rewrite meanwhile (a SharedArrayBuffer, physical memory) is copied first.
    const owned = mayBeRewritten(bytes) ? copyOfBytes(bytes) : bytes;
    // The writes of one turn of the event loop leave as one (writev): a reply in three pieces, or
    // a burst of replies, costs one system call, not one each (TCP_CORK's idea).
    if (!state.corked) {
      state.corked = true;
      state.socket.cork();
      process.nextTick(() => {
        state.corked = false;
        state.socket.uncork();
      });
    }
    const belowMark = state.socket.write(owned);
    if (!belowMark) state.awaitingDrain = true;
    return belowMark;
  }

  end(flow: FlowId): void {
    const state = this.flow(flow);
    if (state.writesRefused) return;
    state.writesRefused = true;
    state.socket.end();
  }

  destroy(flow: FlowId): void {
    const state = this.flow(flow);
    state.writesRefused = true;
    if (!state.closed) state.socket.resetAndDestroy();
  }

  credit(flow: FlowId, chunks: number): void {
    const state = this.flow(flow);
    if (!Number.isInteger(chunks) || chunks < 1) throw new RangeError(`credit must be a positive integer of chunks, got ${chunks}`);
    // Checked before it counts, as the simulated driver does: a refused credit leaves the flow's count as it was.
    if (state.credits + chunks > this.receiveCreditChunks) throw new NicError('EINVAL', `flow ${flow} was given back more credits than it spent`);
    state.credits += chunks;
    if (state.paused && !state.closed) {
      state.paused = false;
      state.socket.resume();
    }
  }

  release(flow: FlowId): void {
    const state = this.flow(flow);
    if (!state.closed) throw new NicError('EBUSY', `flow ${flow} is still open: release it after its closed event`);
    this.flows.delete(flow);
  }

  stats(): NicStats {
    let flowsOpen = 0;
    for (const state of this.flows.values()) if (!state.closed) flowsOpen++;
    return { flowsOpen, ...this.counters };
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.listeners.keys()].map((listener) => this.unlisten(listener)));
    for (const state of this.flows.values()) if (!state.closed) state.socket.destroy();
  }

  private accept(listener: ListenerId, socket: Socket): void {
    const flow = this.open(socket);
    if (flow === null) {
      this.counters.flowsRefused++;
      socket.resetAndDestroy();
      return;
    }
    this.counters.flowsAccepted++;
    this.raise({ kind: 'accepted', flow, listener, local: localOf(socket), remote: remoteOf(socket) });
  }

  /** Numbers `socket` as a flow and wires its events; null when `flowsMax` flows are unreleased. */
  private open(socket: Socket): FlowId | null {
    if (this.flows.size >= this.flowsMax || this.closing) return null;
    const flow = this.nextFlow++;
    const state: Flow = {
      socket,
      credits: this.receiveCreditChunks,
      paused: false,
      awaitingDrain: false,
      writesRefused: false,
      corked: false,
      closed: false,
      fault: null,
    };
    this.flows.set(flow, state);
    socket.on('data', (bytes: Buffer) => {
      this.counters.bytesReceived += bytes.byteLength;
      state.credits--;
      // Node stops emitting data at pause(), so credits never go below zero: the invariant that
      // bounds a flow's channel.
      if (state.credits < 0) throw new NicError('EOVERFLOW', `flow ${flow} received data with no credit left`);
      // libuv reads into 64 KiB buffers: a larger chunk would break the contract's bound.
      if (bytes.byteLength > dataEventBytesMax) throw new NicError('EOVERFLOW', `flow ${flow} read ${bytes.byteLength} bytes at once`);
      if (state.credits === 0) {
        state.paused = true;
        this.counters.receivePauses++;
        socket.pause();
      }
      this.raise({ kind: 'data', flow, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
    });
    socket.on('drain', () => {
      if (!state.awaitingDrain) return;
      state.awaitingDrain = false;
      this.raise({ kind: 'writable', flow });
    });
    socket.on('end', () => this.raise({ kind: 'ended', flow }));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      state.fault ??= { code: error.code ?? 'EIO', message: error.message };
    });
    socket.on('close', () => {
      state.closed = true;
      state.writesRefused = true;
      this.raise({ kind: 'closed', flow, fault: state.fault });
    });
    return flow;
  }

  private raise(event: NicEvent): void {
    const sink = this.sink;
    if (sink === null) throw new NicError('ENODEV', 'a NIC event came before a sink was attached');
    sink(event);
  }

  private flow(flow: FlowId): Flow {
    const state = this.flows.get(flow);
    if (state === undefined) throw new NicError('EBADF', `no flow ${flow}`);
    return state;
  }

  private checkUsable(operation: string): void {
    if (this.sink === null) throw new NicError('ENODEV', `attach a sink before you ${operation}`);
    if (this.closing) throw new NicError('ESHUTDOWN', `the NIC is closed: cannot ${operation}`);
  }
}

function localOf(socket: Socket): Endpoint {
  return { address: socket.localAddress ?? '', port: socket.localPort ?? 0 };
}

function remoteOf(socket: Socket): Endpoint {
  return { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
}

/** A NIC over the host's real network (Node's `net`). */
export function createRealNic(options: RealNicOptions = {}): NicDriver {
  return new RealNic(options);
}
