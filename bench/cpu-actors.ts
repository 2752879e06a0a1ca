// Actors of bench/cpu.bench.ts, in a boot module so that every CPU can run them.
import { fromReceive, fromSetup, type ActorRef, type Ask, type ReplyHandle } from '../boot/index.js';
import { fromSystem, type SystemContext } from '../actors/runtime/system-context.js';

/** The message of the throughput cases (the example shape). */
export interface Ping {
  readonly type: 'ping';
  readonly seq: number;
  readonly payload: { readonly a: number; readonly b: string };
}

export type SinkMsg = Ping | Ask<{ readonly type: 'expect'; readonly n: number }, number>;

/** Counts pings; `expect n` answers once n more pings have arrived. */
export const Sink = fromSetup<SinkMsg>(() => {
  let count = 0;
  let target = -1;
  let done: ReplyHandle<number> | null = null;
  return {
    receive(message, ctx) {
      if (message.type === 'ping') {
        if (++count === target) done!.resolve(count);
        return;
      }
      count = 0;
      target = message.n;
      done = ctx.replyLater(message) as ReplyHandle<number>;
    },
  };
}, 'Sink');

/** A Sink that also does about a microsecond of arithmetic per ping: CPU-bound work that can run in parallel. */
export const BusySink = fromSetup<SinkMsg>(() => {
  let count = 0;
  let target = -1;
  let done: ReplyHandle<number> | null = null;
  let acc = 0;
  return {
    receive(message, ctx) {
      if (message.type === 'ping') {
        for (let i = 0; i < 300; i++) acc = (acc * 31 + i + message.seq) | 0;
        if (++count === target) done!.resolve(count + (acc & 0));
        return;
      }
      count = 0;
      target = message.n;
      done = ctx.replyLater(message) as ReplyHandle<number>;
    },
  };
}, 'BusySink');

export type EchoMsg = Ask<{ readonly type: 'echo'; readonly n: number }, number>;

export const Echo = fromReceive<EchoMsg>((message, ctx) => ctx.reply(message, message.n), 'Echo');

/** Streams `n` pings to the actor with pid `to`, in one turn (backpressure blocks it when the ring is full). */
export type StreamerMsg = Ask<{ readonly type: 'stream'; readonly to: number; readonly n: number }, number>;

export const Streamer = fromSystem<StreamerMsg>(
  (ctx) => ({
    receive(message) {
      const sink = refOf<SinkMsg>(ctx, message.to);
      const payload = { a: 1, b: 'x' };
      for (let seq = 0; seq < message.n; seq++) sink.tell({ type: 'ping', seq, payload });
      ctx.reply(message, message.n);
    },
  }),
  'Streamer',
);

/** Asks the echo with pid `to` `samples` times in sequence; answers the median and p99 round trip in ns. */
export type AskerMsg = Ask<{ readonly type: 'measure'; readonly to: number; readonly samples: number }, { readonly median: number; readonly p99: number }>;

export const Asker = fromSystem<AskerMsg>(
  (ctx) => ({
    async receive(message) {
      const echo = refOf<EchoMsg>(ctx, message.to);
      const handle = ctx.replyLater(message);
      const rtts: number[] = [];
      for (let n = 0; n < message.samples; n++) {
        const t0 = process.hrtime.bigint();
        await echo.ask({ type: 'echo', n });
        rtts.push(Number(process.hrtime.bigint() - t0));
      }
      rtts.sort((a, b) => a - b);
      handle.resolve({ median: rtts[Math.floor(rtts.length / 2)]!, p99: rtts[Math.floor(rtts.length * 0.99)]! });
    },
  }),
  'Asker',
);

/** The ref of the actor with `pid` (the bench names actors by pid, on any CPU). */
function refOf<M extends { type: string }>(ctx: SystemContext<never>, pid: number): ActorRef<M> {
  const ref = ctx.kernel.refOf<M>(pid);
  if (ref === undefined) throw new Error(`no actor ${pid}`);
  return ref;
}
