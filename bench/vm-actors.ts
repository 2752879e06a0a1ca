// Actors of bench/vm.bench.ts, in a boot module so that every CPU can run them.
import { type ActorRef, fromReceive, type Ask } from '../boot/index.js';
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

export type HandOfferMsg = Ask<
  { readonly type: 'measure'; readonly receiver: ActorRef<ReceiverMsg>; readonly samples: number; readonly length: number },
  { readonly median: number; readonly p99: number }
>;

/**
 * Maps a buffer and hands it to `receiver` `samples` times in sequence (mremap, then an ask with the
 * new address), timing each round trip inside its own CPU; answers the median and p99 in ns.
 */
export const HandOffer = fromReceive<HandOfferMsg>(async (message, ctx) => {
  const handle = ctx.replyLater(message);
  const vm = ctx.subsystem(virtualMemory);
  let address = await vm.mmap(message.length, { populate: true });
  vm.memory.writeU8(address, 1);
  vm.memory.writeU8(address + message.length - 1, 2);
  const rtts: number[] = [];
  for (let n = 0; n < message.samples; n++) {
    const t0 = process.hrtime.bigint();
    address = await vm.mremap(address, message.length);
    if ((await message.receiver.ask({ type: 'take', address, length: message.length })) !== 3) throw new Error('the receiver read the wrong bytes');
    rtts.push(Number(process.hrtime.bigint() - t0));
  }
  await vm.munmap(address, message.length);
  rtts.sort((a, b) => a - b);
  handle.resolve({ median: rtts[Math.floor(rtts.length / 2)]!, p99: rtts[Math.floor(rtts.length * 0.99)]! });
}, 'HandOffer');
