/** The demo's boot module: behaviours every CPU can run (see `BootOptions.modules`). */
import { fromReceive, type Ask } from '../boot/index.js';
import { virtualMemory } from '../actors/vm/subsystem.js';

export type SquarerMsg = Ask<{ readonly type: 'square'; readonly n: number }, number>;

/** Answers n². */
export const Squarer = fromReceive<SquarerMsg>((message, ctx) => ctx.reply(message, message.n * message.n), 'Squarer');

export type SummerMsg = Ask<{ readonly type: 'sum'; readonly address: number; readonly length: number }, number>;

/** Sums the bytes of a range of virtual memory handed to it, read where it lies: no copy. */
export const Summer = fromReceive<SummerMsg>((message, ctx) => {
  const memory = ctx.subsystem(virtualMemory).memory;
  let sum = 0;
  for (let at = message.address; at < message.address + message.length; at += 4096) sum += memory.readU8(at);
  ctx.reply(message, sum);
}, 'Summer');
