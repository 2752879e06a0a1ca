// In-run baselines: the denominators for the runtime's speed goals (docs/measured-limits.md §4).
// Each function does the whole workload for `n` messages and returns the number handled, so it can be
// passed straight to measureRate: `measureRate({ name, run: () => handWrittenActorLoop(N) })`.
//
// The first two are ports of the study's case 01 (docs/measured-limits.md §1); keep them
// byte-for-byte equivalent in behaviour, or the figures stop being comparable with docs/measured-limits.md.

import { type AnyActorRef, assign, createActor, fromCallback, setup } from 'xstate';

interface Msg {
  // `string`, not the literal 'ping': handlers branch on it as real ones would.
  type: string;
  n: number;
}

// Module-level sinks so that V8 cannot drop the handlers' work as dead code.
let _sink = 0;
const polySink = { v: 0 };

function handler(msg: Msg): void {
  if (msg.type === 'ping') _sink += msg.n;
  else _sink -= 1;
}

/**
 * Absolute ceiling (152 M msg/s in docs/measured-limits.md §2): one plain call per message, no queue.
 * The handler is inlined and the message literal may be escape-analysed away.
 */
export function functionCallLoop(n: number): number {
  for (let i = 0; i < n; i++) handler({ type: 'ping', n: i });
  return n;
}

// Eight distinct function literals (distinct SharedFunctionInfos), called through a table: the call
// site is megamorphic, so V8 cannot inline the handler. (Closures made by one factory would share
// one SharedFunctionInfo; 01-same-thread.js used `new Function` for the same reason.)
const handlers: Array<(msg: Msg) => void> = [
  function h0(msg) {
    if (msg.type === 'ping') polySink.v += msg.n;
    else polySink.v -= 0;
  },
  function h1(msg) {
    if (msg.type === 'ping') polySink.v += msg.n;
    else polySink.v -= 1;
  },
  function h2(msg) {
    if (msg.type === 'ping') polySink.v += msg.n;
    else polySink.v -= 2;
  },
  function h3(msg) {
    if (msg.type === 'ping') polySink.v += msg.n;
    else polySink.v -= 3;
  },
  function h4(msg) {
    if (msg.type === 'ping') polySink.v += msg.n;
    else polySink.v -= 4;
  },
  function h5(msg) {
    if (msg.type === 'ping') polySink.v += msg.n;
    else polySink.v -= 5;
  },
  function h6(msg) {
    if (msg.type === 'ping') polySink.v += msg.n;
    else polySink.v -= 6;
  },
  function h7(msg) {
    if (msg.type === 'ping') polySink.v += msg.n;
    else polySink.v -= 7;
  },
];

/** Same loop, 8 distinct non-inlinable handlers (92 M msg/s in docs/measured-limits.md §2). */
export function functionCallLoopPolymorphic(n: number): number {
  for (let i = 0; i < n; i++) handlers[i & 7]!({ type: 'ping', n: i });
  return n;
}

/** Mailbox slots of a `handWrittenActorLoop` actor. */
const loopMailboxSlots = 64;
const loopMailboxMask = loopMailboxSlots - 1;

/** An actor of `handWrittenActorLoop`. */
class LoopActor {
  // `declare`: no emitted field definitions. With target ES2022 a plain `id: number;` would emit a
  // class field, i.e. define every property as undefined before the constructor assigns it; the
  // original assigns them in the constructor only, in this order.
  declare id: number;
  declare mb: Array<Msg | null>;
  declare h: number;
  declare t: number;
  declare scheduled: boolean;
  declare sum: number;
  constructor(id: number) {
    this.id = id;
    this.mb = new Array<Msg | null>(loopMailboxSlots).fill(null);
    this.h = 0;
    this.t = 0;
    this.scheduled = false;
    this.sum = 0;
  }
}

/**
 * "1000-actor system: circular mailboxes + run queue + send" (`actorSystemRing` in
 * the study's case 01; 31.7 M msg/s in docs/measured-limits.md §2). The G1 denominator.
 *
 * 1000 actors, each with a preallocated 64-slot circular mailbox; a 2048-slot circular run queue;
 * 100 messages in flight; at most 64 messages per actor turn (fairness); every handled message
 * sends a new one to actor (id*7+13) % 1000 until n have been sent.
 *
 * A port of the original, whose `send` and `receive` live inside the function, and whose timed
 * block includes creating the 1000 actors. Its class lives outside (`LoopActor`): the original ran
 * once per process, and a class made anew by each call gave the loop a new hidden class each time,
 * so from the fifth call in a process V8 served its field loads megamorphic and the loop ran at a
 * third of its speed (65–69 ns a message for calls one to four, 224–279 from the fifth).
 */
export function handWrittenActorLoop(n: number): number {
  // Locals, as in the original: a module-level constant read in the loop costs a context load and
  // a hole check each time (docs/measured-limits.md §3f).
  const A = 1000,
    MBM = loopMailboxMask;
  const actors: LoopActor[] = [];
  for (let i = 0; i < A; i++) actors.push(new LoopActor(i));
  const runq = new Array<LoopActor | null>(2048).fill(null);
  let rh = 0,
    rt = 0;
  const RM = 2047;
  let sent = 0,
    handled = 0;
  function send(to: number, msg: Msg): void {
    const a = actors[to]!;
    a.mb[a.t & MBM] = msg;
    a.t++;
    sent++;
    if (!a.scheduled) {
      a.scheduled = true;
      runq[rt & RM] = a;
      rt++;
    }
  }
  function receive(self: LoopActor, msg: Msg): void {
    if (msg.type === 'ping') {
      self.sum += msg.n;
      if (sent < n) send((self.id * 7 + 13) % A, { type: 'ping', n: msg.n + 1 });
    }
  }
  for (let i = 0; i < 100; i++) send(i * 10, { type: 'ping', n: 0 });
  while (rh !== rt) {
    const a = runq[rh & RM]!;
    runq[rh & RM] = null;
    rh++;
    const mb = a.mb;
    let k = 0;
    while (a.h !== a.t && k < 64) {
      const m = mb[a.h & MBM]!;
      mb[a.h & MBM] = null;
      a.h++;
      k++;
      handled++;
      receive(a, m);
    }
    if (a.h === a.t) a.scheduled = false;
    else {
      runq[rt & RM] = a;
      rt++;
    }
  }
  if (handled !== n) throw new Error(`handled ${handled}`);
  return handled;
}

// xstate v5 as an off-the-shelf actor: one machine whose only transition is an `assign` that counts.
const counterMachine = setup({
  types: {
    context: {} as { count: number },
    events: {} as { type: 'ping'; n: number },
  },
}).createMachine({
  context: { count: 0 },
  on: { ping: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});

/**
 * `createActor(machine).start()`, then `actor.send({ type: 'ping', n })` n times. xstate processes
 * a send synchronously when its mailbox is idle, so the count is final when the loop ends.
 * Actor creation and start are inside the timed block (negligible against n sends).
 */
export function xstateSendLoop(n: number): number {
  const actor = createActor(counterMachine).start();
  for (let i = 0; i < n; i++) actor.send({ type: 'ping', n: i });
  const count = actor.getSnapshot().context.count;
  actor.stop();
  if (count !== n) throw new Error(`xstate handled ${count}`);
  return count;
}

/** A request for the request/reply baselines: answer `n` through `reply`. */
interface Request {
  type: 'get';
  n: number;
  reply: (n: number) => void;
}

/**
 * xstate's request/reply between code and an actor, in its fastest form: a `fromCallback` actor
 * that answers each event through the callback the event carries, awaited as a promise. `k`
 * round trips, one after the other; resolves with the sum of the answers (0 + 1 + ... + k-1).
 */
export async function xstateCallbackAskLoop(k: number): Promise<number> {
  const echo = createActor(
    fromCallback<Request>(({ receive }) => {
      receive((event) => event.reply(event.n));
    }),
  ).start();
  let sum = 0;
  for (let n = 0; n < k; n++) sum += await new Promise<number>((reply) => echo.send({ type: 'get', n, reply }));
  echo.stop();
  return sum;
}

/**
 * Two xstate `fromCallback` actors that send a ball back and forth `k` times (what a user would
 * write for two actors talking by tell); resolves with `k` when the last round trip is done.
 */
export function xstateCallbackPingPongLoop(k: number): Promise<number> {
  return new Promise<number>((resolve) => {
    // Each sends to the other; the refs are set before the first ball is sent.
    const peers: { ping?: AnyActorRef; pong?: AnyActorRef } = {};
    let left = k;
    peers.pong = createActor(
      fromCallback(({ receive }) => {
        receive((event) => peers.ping!.send(event));
      }),
    ).start();
    peers.ping = createActor(
      fromCallback(({ receive }) => {
        receive((event) => {
          if (--left > 0) {
            peers.pong!.send(event);
            return;
          }
          peers.ping!.stop();
          peers.pong!.stop();
          resolve(k);
        });
      }),
    ).start();
    peers.pong.send({ type: 'ball' });
  });
}

class AsyncEcho {
  async get(n: number): Promise<number> {
    return n;
  }
}

/** The floor of any awaited request: `k` awaited calls of an async method; resolves with their sum. */
export async function asyncMethodLoop(k: number): Promise<number> {
  const echo = new AsyncEcho();
  let sum = 0;
  for (let n = 0; n < k; n++) sum += await echo.get(n);
  return sum;
}
