// The postMessage baseline's worker (bench/ring-worker.ts in its 'post' role), started and wired once
// for the benches that compare against it.
import { Worker } from 'node:worker_threads';
import { measureLatencyAsync, type LatencyResult } from './harness.js';

export interface PostWorker {
  readonly worker: Worker;
  /** Resolves with the worker's next message. */
  reply(): Promise<unknown>;
}

export async function startPostWorker(): Promise<PostWorker> {
  const worker = new Worker(new URL('./ring-worker.js', import.meta.url), { workerData: { role: 'post' } });
  await new Promise((resolve) => worker.once('message', resolve));
  let onReply: (message: unknown) => void = () => {};
  worker.on('message', (message: unknown) => onReply(message));
  return { worker, reply: () => new Promise((resolve) => (onReply = resolve)) };
}

/** Round trips of an `echo` message through the worker, one at a time. */
export function measurePostRtt(post: PostWorker, samples: number, reps: number): Promise<LatencyResult> {
  let n = 0;
  return measureLatencyAsync({
    name: 'postMessage ping-pong RTT',
    samples,
    reps,
    sample: () => {
      const answer = post.reply();
      post.worker.postMessage({ type: 'echo', n: n++ });
      return answer;
    },
  });
}
