/**
 * The runtime's typed errors. Operating failures (a full mailbox, a missed deadline, a stopped
 * target) are values a caller can branch on with `instanceof` or `error.code`; invariant failures are
 * `InvariantError`, which crash the actor that hit them.
 */

/** The common base: every runtime error has a stable `code`. */
export abstract class OspreyError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A broken internal invariant (see `assert`). */
export class InvariantError extends OspreyError {
  readonly code = 'invariant';
}

/** An ask whose deadline passed before a reply came. */
export class AskTimeoutError extends OspreyError {
  readonly code = 'ask-timeout';
  constructor(
    readonly target: string,
    readonly messageType: string,
    readonly deadlineMs: number,
  ) {
    super(`ask to ${target} with message '${messageType}' got no reply within ${deadlineMs} ms`);
  }
}

/** The target's mailbox was full and its overflow policy refused or dropped the message. */
export class MailboxFullError extends OspreyError {
  readonly code = 'mailbox-full';
  constructor(
    readonly target: string,
    readonly messageType: string,
    readonly capacity: number,
  ) {
    super(`mailbox of ${target} is full (${capacity} messages); '${messageType}' was not delivered`);
  }
}

/** The target actor is stopped (or never existed): the message went to dead letters. */
export class ActorStoppedError extends OspreyError {
  readonly code = 'actor-stopped';
  constructor(
    readonly target: string,
    readonly messageType: string,
  ) {
    super(`${target} is stopped; '${messageType}' went to dead letters`);
  }
}

/** The target crashed while handling the asked message; `cause` is what it threw. */
export class ActorCrashedError extends OspreyError {
  readonly code = 'actor-crashed';
  constructor(
    readonly target: string,
    readonly messageType: string,
    cause: unknown,
  ) {
    super(`${target} crashed while handling '${messageType}': ${describeError(cause)}`, { cause });
  }
}

/** A linked actor crashed and this actor does not trap exits, so it crashes too; `cause` is the linked actor's error. */
export class LinkedCrashError extends OspreyError {
  readonly code = 'linked-crash';
  constructor(
    readonly source: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`linked actor ${source} exited: ${reason}`, cause === undefined ? undefined : { cause });
  }
}

/**
 * An actor ended by an exit signal rather than a throw (`exit(ref, reason)`, `kill`, a linked actor's
 * custom reason): what an ask it was handling fails with, and what a kill is reported as.
 */
export class ActorExitedError extends OspreyError {
  readonly code = 'actor-exited';
  constructor(
    readonly target: string,
    readonly messageType: string | undefined,
    readonly reason: string,
  ) {
    super(messageType === undefined ? `${target} exited: ${reason}` : `${target} exited (${reason}) while handling '${messageType}'`);
  }
}

/** An actor's first incarnation threw in its constructor or `started` hook: it never ran. `cause` is the throw. */
export class StartFailedError extends OspreyError {
  readonly code = 'start-failed';
  constructor(
    readonly actor: string,
    cause: unknown,
  ) {
    super(`${actor} failed to start: ${describeError(cause)}`, { cause });
  }
}

/** A supervisor got a request it does not know (an ask is answered with this at once, never by a timeout). */
export class UnknownRequestError extends OspreyError {
  readonly code = 'unknown-request';
  constructor(
    readonly target: string,
    readonly messageType: string,
  ) {
    super(`${target} does not understand '${messageType}'`);
  }
}

/** A supervisor has no child with this id. */
export class NoSuchChildError extends OspreyError {
  readonly code = 'no-such-child';
  constructor(
    readonly supervisor: string,
    readonly childId: string,
  ) {
    super(`${supervisor} has no child '${childId}'`);
  }
}

/** A supervisor request that the child's state does not allow (delete a running child, restart a running one). */
export class ChildStateError extends OspreyError {
  readonly code = 'child-state';
  constructor(
    readonly supervisor: string,
    readonly childId: string,
    readonly why: string,
  ) {
    super(`${supervisor}: child '${childId}' ${why}`);
  }
}

/** An actor's system lane (signals, stops, wakes) overflowed: the actor crashes with this. */
export class SystemLaneOverflowError extends OspreyError {
  readonly code = 'system-lane-overflow';
  constructor(
    readonly actor: string,
    readonly capacity: number,
  ) {
    super(`system lane of ${actor} overflowed (${capacity} signals): it crashed rather than lose a signal unseen`);
  }
}

/** A supervisor restarted its children more often than its intensity allows and gave up. */
export class RestartIntensityError extends OspreyError {
  readonly code = 'restart-intensity';
  constructor(
    readonly supervisor: string,
    readonly restartsMax: number,
    readonly restartWindowMs: number,
  ) {
    super(`${supervisor} exceeded ${restartsMax} restart(s) in ${restartWindowMs} ms and shut down`);
  }
}

/** A name is already registered to a live actor. */
export class NameTakenError extends OspreyError {
  readonly code = 'name-taken';
  constructor(readonly actorName: string) {
    super(`the name '${actorName}' is already registered`);
  }
}

/** The kernel is shutting down or stopped and refuses new work. */
export class KernelStoppedError extends OspreyError {
  readonly code = 'kernel-stopped';
  constructor(what: string) {
    super(`the kernel is stopped: cannot ${what}`);
  }
}

/** The CPU the target lives on died (its worker exited or threw) before the ask was answered. */
export class CpuDownError extends OspreyError {
  readonly code = 'cpu-down';
  constructor(
    readonly cpu: number,
    readonly target: string,
    readonly why: string,
  ) {
    super(`cpu ${cpu} went down (${why}) before ${target} answered`);
  }
}

/** The ring to another CPU was full and the sender's overflow policy refused or dropped the message. */
export class RingFullError extends OspreyError {
  readonly code = 'ring-full';
  constructor(
    readonly cpu: number,
    readonly target: string,
    readonly messageType: string,
  ) {
    super(`the ring to cpu ${cpu} is full; '${messageType}' for ${target} was not sent`);
  }
}

/** A spawn on another CPU failed there (unknown behaviour, a name taken, a throwing constructor, a CPU down). */
export class SpawnFailedError extends OspreyError {
  readonly code = 'spawn-failed';
  constructor(
    readonly cpu: number,
    readonly behavior: string,
    readonly reason: string,
  ) {
    super(`spawning ${behavior} on cpu ${cpu} failed: ${reason}`);
  }
}

/**
 * A failure on another CPU whose type has no local counterpart; `remoteCode` and the message say what it was.
 * A failure another CPU reported to CPU 0 (`kernel.failures`) also carries the thrown error's class
 * name and stack as text (`remoteName`, `remoteStack`); its `stack` is then the remote one, so a log
 * shows where it was thrown.
 */
export class RemoteFailureError extends OspreyError {
  readonly code = 'remote-failure';
  /** The class name of what was thrown on the other CPU (`TypeError`), when it was reported. */
  readonly remoteName: string | undefined;
  /** The stack of what was thrown on the other CPU, as text, when it was reported. */
  readonly remoteStack: string | undefined;
  constructor(
    readonly remoteCode: string,
    message: string,
    details: { readonly name?: string; readonly stack?: string } = {},
  ) {
    super(message);
    this.remoteName = details.name;
    this.remoteStack = details.stack;
    if (details.stack !== undefined) this.stack = details.stack;
  }
}

/**
 * An API used where it cannot work: a reply outside the handler of the ask, a child spawned on
 * another CPU, a stop of someone else's child, virtual time driven on a real clock. The message
 * says what to do instead.
 */
export class UsageError extends OspreyError {
  readonly code = 'usage';
}

/** A `started` or `stopped` hook threw while its actor was going away anyway; `cause` is the throw. */
export class HookFailedError extends OspreyError {
  readonly code = 'hook-failed';
  constructor(
    readonly actor: string,
    readonly hook: string,
    cause: unknown,
  ) {
    super(`${hook} hook of ${actor} threw: ${describeError(cause)}`, { cause });
  }
}

/** An xstate machine run by the kernel did something the kernel cannot run, or entered an error state. */
export class MachineError extends OspreyError {
  readonly code = 'machine';
  constructor(
    readonly machine: string,
    message: string,
  ) {
    super(`machine ${machine}: ${message}`);
  }
}

/**
 * A machine actor handled an ask without answering it (no `reply` action ran: no transition took
 * the event, or the one that did does not reply). The ask fails at once rather than at its deadline.
 */
export class UnansweredAskError extends OspreyError {
  readonly code = 'unanswered-ask';
  constructor(
    readonly target: string,
    readonly messageType: string,
    /** The machine's state value after it handled the ask, as text. */
    readonly state: string,
  ) {
    super(`${target} handled '${messageType}' in state ${state} without answering it (no reply action ran)`);
  }
}

/** An actor could not move to another CPU; `why` names what ties it to its CPU. */
export class MigrationRefusedError extends OspreyError {
  readonly code = 'migration-refused';
  constructor(
    readonly actor: string,
    readonly cpu: number,
    readonly why: string,
  ) {
    super(`${actor} cannot move to cpu ${cpu}: ${why}`);
  }
}

/** Something was used after it was closed: an interrupt controller, a timer source. */
export class ClosedError extends OspreyError {
  readonly code = 'closed';
  constructor(
    readonly what: string,
    action: string,
  ) {
    super(`cannot ${action}: ${what} is closed`);
  }
}

/** A CPU (a worker thread) failed to boot: a boot module threw, or the worker exited first. */
export class CpuBootError extends OspreyError {
  readonly code = 'cpu-boot';
  constructor(
    readonly cpu: number,
    readonly why: string,
  ) {
    super(`cpu ${cpu} failed to boot: ${why}`);
  }
}

/** A subsystem was asked for that this kernel did not boot (see `Kernel.boot({ subsystems })`). */
export class SubsystemNotBootedError extends OspreyError {
  readonly code = 'subsystem-not-booted';
  constructor(readonly subsystem: string) {
    super(`the subsystem '${subsystem}' is not booted on this kernel: list it in Kernel.boot({ subsystems })`);
  }
}

/**
 * A loop that must end ran into its bound: simulated work that never settles (a self-rescheduling
 * callback, a periodic timer), so the bound turns a hang into an error that names it.
 */
export class BoundExceededError extends OspreyError {
  readonly code = 'bound-exceeded';
}

/** What a simulated kernel still had to do at some moment: the figures an `UnsettledError` names. */
export interface PendingWork {
  /** Asks in flight, waiting for a reply or their deadline. */
  readonly asks: number;
  /** Armed timers (ask deadlines among them). */
  readonly timers: number;
  /** Callbacks ready to run at the current virtual instant. */
  readonly ready: number;
}

/**
 * A simulated kernel was run until a promise settled (`kernel.runUntil`), and the promise is still
 * pending. `why` says how the run ended: `idle`, nothing is left in the kernel that could ever settle
 * it (a deadlock: an actor waits for a message nobody sends, or the promise waits on something outside
 * the kernel); `bound`, the run reached its bound of virtual time or callbacks first (`cause` is the
 * `BoundExceededError` that names it).
 */
export class UnsettledError extends OspreyError {
  readonly code = 'unsettled';
  constructor(
    readonly why: 'idle' | 'bound',
    /** Virtual milliseconds the run moved the clock. */
    readonly elapsedMs: number,
    /** Virtual time when the run ended. */
    readonly atMs: number,
    readonly pending: PendingWork,
    options?: { cause?: unknown },
  ) {
    const left = `${plural(pending.asks, 'ask')} in flight, ${plural(pending.timers, 'timer')} armed, ${plural(pending.ready, 'callback')} ready`;
    super(
      why === 'idle'
        ? `the promise is still pending and the simulated kernel went idle at ${atMs} ms, after ${elapsedMs} virtual ms (${left}): ` +
            'nothing left in it can settle the promise; a deadlock (does an actor wait for a message nobody sends?), ' +
            'or a promise only something outside the kernel settles'
        : `the promise is still pending after ${elapsedMs} virtual ms, at ${atMs} ms, and the run reached its bound (${left}): ` +
            describeError(options?.cause),
      options,
    );
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** A worker CPU's ArrayBuffer memory grew past its bound (`workerHeapMbMax`): the CPU restarts. */
export class BufferMemoryError extends OspreyError {
  readonly code = 'buffer-memory';
  constructor(
    readonly cpu: number,
    readonly bufferMb: number,
    readonly bufferMbMax: number,
  ) {
    super(`cpu ${cpu} holds ${bufferMb} MiB of buffer memory (ArrayBuffers and SharedArrayBuffers), past its bound of ${bufferMbMax} MiB (workerHeapMbMax)`);
  }
}

/** A short, safe description of any thrown value (a thrown value need not be an Error). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return String(error);
  } catch {
    return '<unprintable>';
  }
}
