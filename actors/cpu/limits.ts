/**
 * Bounds and defaults of the CPU layer. Figures behind them are in docs/measured-limits.md (§2 area 6
 * wake costs, §3b ring throughput) and the ring benchmarks.
 */
import { assert } from '../../ground/assert.js';

/** Data region of each (source, target) ring, in bytes: about 16 000 small frames. */
export const cpuRingBytesDefault = 256 * 1024;
/** Frames one pump takes from one source ring before moving to the next, so no source starves another. */
export const pumpFramesPerSourceMax = 256;
/**
 * Frames a CPU stages in a ring before it publishes them, at most (see CpuPort.offer): few enough
 * that a long burst keeps its consumer busy, many enough that one store and one doorbell ring are
 * shared by many frames.
 */
export const framesPerPublishMax = 64;
/**
 * How long a CPU with nothing to do polls its pending mask before it parks, in µs. The ski-rental
 * rule: spin about as long as parking costs, and a CPU never pays more than twice the best choice.
 * A park and its wake cost about 40 µs here (docs/measured-limits.md §2 area 6: ~30 µs to wake, ~10 µs to notify).
 */
export const idleSpinMicrosDefault = 40;
/**
 * How far a CPU's idle spin may grow beyond `idleSpinMicrosDefault` (or the configured spin) while
 * its parks keep ending soon after they begin (see spin-budget.ts): 8, so 320 µs. On a slow day a
 * two-CPU round trip needed more than 100 µs of spin to find the other CPU awake, and 200 did
 * (docs/measured-limits.md §3c).
 */
export const idleSpinGrowthMax = 8;
/** Polls of the pending mask between two reads of the clock while spinning (a poll is a few ns). */
export const spinPollsPerClockRead = 64;
/**
 * Longest park, in ms: a safety net that turns a lost wake into a counted event, not a hang (a wait
 * under ~100 µs is meaningless here, docs/measured-limits.md §3d), so keep it far above a time slice.
 */
export const parkTimeoutMsDefault = 1_000;
/** Busy pump rounds between yields to the event loop, so timers and I/O of the CPU keep flowing. */
export const busyRoundsPerYield = 16;
/**
 * Bytes one destination's outbox may hold while its ring is full (overflow policy `wait`), frames
 * and their bookkeeping (`outboxFrameOverheadBytes` each). Senders park long before that (see
 * outbox.ts): it is reached only by single turns that send this much, and by what nothing parks
 * (code outside actors, mail forwarded for actors that moved).
 */
export const outboxBytesMaxDefault = 16 * 1024 * 1024;
/**
 * Room frames that must arrive (the kernel's own, replies, mail accepted already) have in an outbox
 * beyond `outboxBytesMax`, as a share of it: actors' frames that fill an outbox to its bound cannot
 * make a stop, a link, a fence or a reply a dead letter.
 */
export const mustArriveReserveShare = 1;
/**
 * The part of that room mail accepted already (forwarded for actors that moved) may take, as a share
 * of `outboxBytesMax`: a deadlock between CPUs that forward into each other fills an outbox with
 * such mail (see `forwardedStallMsMax`), and the fences and replies that end it need the rest.
 */
export const acceptedMailReserveShare = 0.5;
/** What a waiting frame costs beyond its bytes: its record, its copy's object, the queue slot. */
export const outboxFrameOverheadBytes = 128;
/**
 * Share of an outbox that mail forwarded for other CPUs may fill; past it, such mail waits in its
 * ring, so a CPU that forwards a flood passes it on at the pace of the CPU behind it. Below it,
 * mail crossing a move both ways passes (CPU 0 forwards to 2 what 2 forwards back, until the move's
 * frame, further back in a ring, arrives): half of the default holds several full default rings of
 * the smallest frames, where waiting at once would leave each CPU waiting for the other.
 */
export const forwardedOutboxShareMax = 0.5;
/**
 * How long an outbox past that share may go without a frame leaving it before it takes forwarded
 * mail anyway (into the room `acceptedMailReserveShare` gives it), in ms: two CPUs that forward into
 * each other with both outboxes past half would otherwise wait for each other for ever. Far above a
 * ring's drain time, so a slow but moving consumer is never mistaken for a stuck one.
 */
export const forwardedStallMsMax = 100;
/**
 * How long an outbox whose part of the reserve is full of forwarded mail may go without a frame
 * leaving it before it takes such mail in all the same, in ms, where it becomes a `ring-full` dead
 * letter: a deadlock that needs more room than the reserve gives must not last for ever, and mail is
 * never held in silence. Far above any wait a slow but moving consumer causes.
 */
export const forwardedDeadlockMsMax = 10_000;
/** How long a message may wait in an outbox for ring space before it is a dead letter, in ms. */
export const outboxWaitMsDefault = 5_000;
/** How often a non-empty outbox retries its ring, in ms: the consumer does not signal freed space. */
export const outboxRetryMs = 1;
/** Remote refs cached per CPU (so refs to one remote actor are one object); cleared when full. */
export const remoteRefCacheMax = 65_536;
/**
 * Reports a CPU holds for CPU 0 while its ring is busy, by stream (see cpu-reports.ts); past these,
 * new ones are dropped and counted, and the count reaches CPU 0 with the next report. A crash storm
 * thus costs the ring at most a bounded batch. Failures carry stacks (up to 4 KiB each), so fewer.
 */
export const failureReportsQueuedMax = 256;
export const deadLetterReportsQueuedMax = 1_024;
export const eventReportsQueuedMax = 8_192;
/** Reports per frame, by stream: a frame stays well under the 64 KiB frame bound (protocols/limits.ts). */
export const failureReportsPerFrameMax = 8;
export const deadLetterReportsPerFrameMax = 64;
export const eventReportsPerFrameMax = 256;
/** Share of the ring to CPU 0 reports may fill: the rest is left to mail, which reports never crowd out. */
export const reportRingShareMax = 0.5;
/**
 * Messages a forwarding address holds while it is switched to a shorter route (forward-hold.ts): the
 * mail of one round trip along the old route, which at a million messages a second is a few
 * thousand. Past it, a local actor that sends more is parked until the switch is done; mail that
 * comes from other CPUs (which cannot be parked from here) goes down the old route with what is held,
 * and a new fence follows.
 */
export const forwardHoldMessagesMax = 65_536;
/** Messages a hold takes beyond `forwardHoldMessagesMax` from the local actors it parks (the rest of their turn); past that, it spills. */
export const forwardHoldParkedMessagesMax = 4_096;
/** Messages a hold takes in once its fence is back, ahead of the actor's mailbox; past that, mail waits in its ring. */
export const forwardHoldDrainingMessagesMax = 256;
/** Fences of other CPUs a hold takes beyond its messages: a few per CPU are ever out for one actor. */
export const forwardHoldFencesMax = 1_024;
/**
 * Old pids a moving actor carries to its new CPU (forwarding.ts), newest first kept: enough for its
 * recent travels, and a move's frame stays small however often it moves. They are also the pids
 * that keep reaching it: each CPU drops its routes for older ones when it hears of a move, so routes
 * stay bounded however often an actor moves (refs are switched, and never need them; a pid kept as
 * a number that old is a dead letter `stopped`).
 */
export const aliasesCarriedMax = 64;
/**
 * How long a move waits for the mail its actor sent to third CPUs to arrive (move-sweeps.ts), in ms;
 * past it the move is called off and the actor stays. Generous: the sweep waits behind whatever those
 * CPUs have yet to take in and pass on.
 */
export const moveSweepMsMax = 2_000;
/** How long a hold waits for its fence before it sends it again (one lost with a CPU it passed through), in ms. */
export const fenceRetryMs = 1_000;

assert(forwardedStallMsMax < forwardedDeadlockMsMax, 'a deadlock is given room before its mail is shed');
assert(acceptedMailReserveShare < mustArriveReserveShare, 'accepted mail leaves part of the must-arrive reserve to fences and replies');
