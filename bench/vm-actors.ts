// Actors of bench/vm.bench.ts, in a boot module so that every CPU can run them.
import { fromReceive, type Ask } from '../boot/index.js';
import { virtualMemory } from '../actors/vm/subsystem.js';

export type ReceiverMsg =
  | Ask<{ readonly type: 'take'; readonly address: number; readonly length: number }, number>
  | { readonly type: 'chunk'; readonly bytes: Uint8Array }
  | Ask<{ readonly type: 'last-chunk'; readonly bytes: Uint8Array }, number>;

/**
 * Takes 1 MiB handed to it and answers the sum of its first and last byte: read at the address of
 * the mapping it was given (`take`), or from chunks copied through the ring (`chunk`s, then `last-chunk`).
 */
export const Receiver = fromReceive<ReceiverMsg>((message, ctx) => {
  switch (message.type) {
    case 'take': {
      const memory = ctx.subsystem(virtualMemory).memory;
      ctx.reply(message, memory.readU8(message.address) + memory.readU8(message.address + message.length - 1));
      return;
    }
    case 'chunk':
      first ??= message.bytes[0]!;
      return;
    case 'last-chunk':
      ctx.reply(message, (first ?? 0) + message.bytes[message.bytes.length - 1]!);
      first = undefined;
      return;
  }
}, 'Receiver');

let first: number | undefined;
