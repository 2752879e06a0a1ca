/**
 * Mail to an actor that moves between CPUs while senders stream to it: senders on every CPU hold
 * the ref they were given before any move (stale on the other CPUs after the first), and the actor
 * moves from CPU 0 to CPU 1 and back, again and again (and wherever the balancers take it). Every
 * note arrives, once, each sender's in the order it sent them; nothing is a dead letter because of
 * a move, and every switch of a route to a shorter one completes. Real worker threads.
 */
import { expect } from 'chai';
import { type ActorRef, type DeadLetter, Kernel } from '../../../boot/index.js';
import { pidCpu } from '../../../ground/pid.js';
import { eventually } from '../../helpers/eventually.js';
import { nodeOf } from '../../helpers/kernel.js';
import { stressSize } from '../../helpers/stress.js';
import { Ledger, type LedgerMsg, Mover, Pacer } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

/**
 * Boots three worker CPUs with a Ledger on CPU 0, a Mover on every CPU (the balancers may move the
 * ledger too, it is busy) and a Pacer on every CPU streaming to the ledger's ref until stopped,
 * `chunk` notes a turn, a turn every `everyMs` (0: back to back).
 */
async function streamToLedger(chunk: number, everyMs: number) {
  const kernel = await Kernel.boot({ cpus: 3, modules });
  try {
    return await startStreams(kernel, chunk, everyMs);
  } catch (error) {
    await kernel.shutdown();
    throw error;
  }
}

/**
 * The ledger's summary once it has counted `total` notes; if it never does within a minute, an
 * error that says what it got and which dead letters came, so a failure tells a loss from a stall.
 */
async function allArrived(ledger: ActorRef<LedgerMsg>, total: number, letters: readonly DeadLetter[]) {
  let got: { count: number; inOrder: boolean } | undefined;
  try {
    return await eventually(async () => {
      got = await ledger.ask({ type: 'summary' }, { deadlineMs: 10_000 }).catch(() => got);
      return got !== undefined && got.count >= total ? got : undefined;
    }, 60_000);
  } catch {
    const reasons = letters.map((letter) => `${letter.reason} ${letter.messageType}`);
    throw new Error(
      `${got?.count ?? 'no'} notes of ${total} arrived in a minute; dead letters: ${JSON.stringify([...new Set(reasons)].map((r) => [r, reasons.filter((x) => x === r).length]))}`,
    );
  }
}

async function startStreams(kernel: Kernel, chunk: number, everyMs: number) {
  const letters: DeadLetter[] = [];
  kernel.deadLetters.subscribe((letter) => letters.push(letter));
  const ledger = await kernel.spawned(kernel.spawn(Ledger));
  const movers = await Promise.all([0, 1, 2].map((cpu) => kernel.spawned(kernel.spawn(Mover, { cpu }))));
  const pacers = await Promise.all([0, 1, 2].map((cpu) => kernel.spawned(kernel.spawn(Pacer, { cpu }))));
  const streams = Promise.all(
    pacers.map((pacer, tag) => pacer.ask({ type: 'pace', to: ledger, count: Number.MAX_SAFE_INTEGER, tag, chunk, everyMs }, { deadlineMs: 100_000 })),
  );
  return {
    kernel,
    letters,
    ledger,
    /** Asks the mover where the ledger is (`pid`) to move it to the other of CPUs 0 and 1; true if it moved. */
    move: async (pid: number): Promise<boolean> => {
      const from = pidCpu(pid);
      return (await movers[from]!.ask({ type: 'move', pid, cpu: from === 0 ? 1 : 0 }, { deadlineMs: 10_000 })) === true;
    },
    /** Stops the pacers; resolves with how many notes each sent. */
    stop: (): Promise<number[]> => {
      for (const pacer of pacers) pacer.tell({ type: 'stop' });
      return streams;
    },
  };
}

describe('forwarding the mail of an actor that moves (worker threads)', function () {
  this.timeout(120_000);

  it('streams from three CPUs to a stale ref arrive whole and in order while the actor moves 0 → 1 → 0 again and again', async () => {
    const movesWanted = stressSize('FORWARDING_MOVES', { ci: 6, full: 100 });
    const { kernel, letters, ledger, move, stop } = await streamToLedger(200, 1);
    try {
      for (let moves = 0; moves < movesWanted; ) {
        // It may move again between this answer and the move (the balancers): the move is refused then, and tried again.
        if (await move(await ledger.ask({ type: 'where' }, { deadlineMs: 10_000 }))) moves++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      const sent = await stop();
      for (const count of sent) expect(count, 'each sender kept sending while the actor moved').to.be.above(0);
      const total = sent.reduce((sum, count) => sum + count, 0);
      const summary = await eventually(async () => {
        const got = await ledger.ask({ type: 'summary' });
        return got.count >= total ? got : undefined;
      }, 30_000);
      expect(summary).to.deep.equal({ count: total, inOrder: true });
      expect(letters).to.deep.equal([]);
      // Every switch to a shorter route finished: nothing is held on CPU 0.
      await eventually(() => (nodeOf(kernel).waitingFrames === 0 ? true : undefined));
    } finally {
      await kernel.shutdown();
    }
  });

  it('under a flood from three CPUs (senders as fast as they can), the actor still moves and nothing is lost or reordered', async () => {
    const movesWanted = stressSize('FLOODED_MOVES', { ci: 6, full: 60 });
    const { kernel, letters, ledger, move, stop } = await streamToLedger(50, 0);
    try {
      for (let moves = 0; moves < movesWanted; ) {
        // Flooded, its mailbox (or the hold in front of it) is often full: an ask is refused then, and tried again.
        // A move's own ask waits behind the flood in the rings: it may time out, and is tried again.
        const pid = await ledger.ask({ type: 'where' }, { deadlineMs: 10_000 }).catch(() => 0);
        if (pid !== 0 && (await move(pid).catch(() => false))) moves++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const total = (await stop()).reduce((sum, count) => sum + count, 0);
      const summary = await allArrived(ledger, total, letters);
      expect(summary).to.deep.equal({ count: total, inOrder: true });
      // The test's own 'where' asks come from outside any actor, so nothing can park their sender: when the
      // flood has filled CPU 0's outbox to the ledger's CPU, one is a ring-full dead letter and fails (as
      // docs/delivery.md says). The notes never are.
      expect(letters.filter((letter) => !(letter.messageType === 'where' && letter.reason === 'ring-full' && letter.from === 0))).to.deep.equal([]);
      await eventually(() => (nodeOf(kernel).waitingFrames === 0 ? true : undefined));
    } finally {
      await kernel.shutdown();
    }
  });
});
