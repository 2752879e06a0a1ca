// The postMessage baseline's worker (bench/ring-worker.ts in its 'post' role), started and wired once
// for the benches that compare against it.
import { Worker } from 'node:worker_threads';
import { measureLatencyAsync, type LatencyResult } from './harness.js';

export interface PostWorker {
  readonly worker: Worker;
  /** Resolves with the worker's next message. */
  reply(): Promise<unknown>;
  /** One round trip: sends `{ type: 'echo', n }` and resolves with the worker's answer. */
  echo(n: number): Promise<unknown>;
}

export async function startPostWorker(): Promise<PostWorker> {
  const worker = new Worker(new URL('./ring-worker.js', import.meta.url), { workerData: { role: 'post' } });
  await new Promise((resolve) => worker.once('message', resolve));
  let onReply: (message: unknown) => void = () => {};
  worker.on('message', (message: unknown) => onReply(message));
  const reply = () => new Promise((resolve) => (onReply = resolve));
  const echo = (n: number) => {
    const answer = reply();
    worker.postMessage({ type: 'echo', n });
    return answer;
  };
  return { worker, reply, echo };
}

/** Round trips of an `echo` message through the worker, one at a time. */
export function measurePostRtt(post: PostWorker, samples: number, reps: number): Promise<LatencyResult> {
  let n = 0;
  return measureLatencyAsync({
    name: 'postMessage ping-pong RTT',
    samples,
    reps,
    sample: () => post.echo(n++),
  });
}
