/** A session over a HeapItemStore with a hand-driven clock, spoken to in text. */
import { latin1Bytes, latin1Text } from '../../../protocols/memcached/index.js';
import { MemcachedExecutor } from '../../../apps/memcached/execute.js';
import { HeapItemStore } from '../../../apps/memcached/store/heap-item-store.js';
import { MemcachedSession } from '../../../apps/memcached/session.js';

export interface Harness {
  readonly store: HeapItemStore;
  readonly session: MemcachedSession;
  readonly executor: MemcachedExecutor;
  /** Kernel ms now; tests move it. */
  nowMs: number;
  /** Sends `text` and returns everything written back, as text. */
  send(text: string): string;
  closed(): boolean;
}

/** Unix time when the kernel clock reads 0, in seconds. */
export const unixEpochS = 1_700_000_000;

export function harness(limitBytes = 1 << 20, itemBytesMax = 4_096): Harness {
  const store = new HeapItemStore({ limitBytes, itemBytesMax });
  const state = { nowMs: 0 };
  const executor = new MemcachedExecutor({
    store,
    now: () => state.nowMs,
    unixNowS: () => unixEpochS + state.nowMs / 1_000,
    server: { version: '1.6.29-osprey', pid: 7, uptimeS: () => state.nowMs / 1_000, currConnections: () => 1, totalConnections: () => 3, threads: 1 },
  });
  const session = new MemcachedSession({ executor });
  let closed = false;
  const result: Harness = {
    store,
    session,
    executor,
    get nowMs() {
      return state.nowMs;
    },
    set nowMs(value: number) {
      state.nowMs = value;
    },
    send(text: string): string {
      const { replies, close } = session.receive(latin1Bytes(text));
      closed ||= close;
      return replies.map((reply) => latin1Text(reply)).join('');
    },
    closed: () => closed,
  };
  return result;
}
