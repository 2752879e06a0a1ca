/**
 * The simulated clock's door to the process's end: checks that run when the process is about to
 * exit because its event loop ran dry (Node's `beforeExit`).
 *
 * A simulated clock moves only when someone drives it. An `await` on work that waits for it (an
 * ask to a simulated kernel, say) with nobody driving leaves the real event loop empty, and Node
 * ends the process in silence: with code 13 for an unsettled top-level await, with code 0 when the
 * await was inside a function nobody awaited. A check registered here gets to say why first: the
 * message it returns goes to stderr, and the exit code becomes 1.
 *
 * One `beforeExit` listener serves every check, added with the first check and removed with the
 * last, so a process that boots a thousand simulated kernels adds one listener, not a thousand
 * (and no `MaxListenersExceededWarning`). A check holds its subject weakly: a kernel nobody holds
 * any more is not kept alive for its check, and its check goes once it is collected. `beforeExit`
 * does not fire on `process.exit()` or on a signal, which is right: those exits are not silent.
 */

/** The process as the checks see it: where `beforeExit` comes from, and how a failed check is told. */
export interface ExitHost {
  on(event: 'beforeExit', listener: () => void): unknown;
  off(event: 'beforeExit', listener: () => void): unknown;
  /** Tells a failed check's message and makes the exit fail. */
  fail(message: string): void;
}

/** A set of exit checks on one host, sharing one listener there. */
export class ExitChecks {
  private readonly checks = new Set<RegisteredCheck>();
  private readonly collected = new FinalizationRegistry<RegisteredCheck>((check) => this.cancel(check));
  private readonly onBeforeExit = () => this.runChecks();

  constructor(private readonly host: ExitHost) {}

  /** Checks registered and not yet cancelled, collected or failed. */
  get size(): number {
    return this.checks.size;
  }

  /**
   * Registers `check` to run at the process's exit on `subject`, for as long as `subject` lives;
   * returns the function that cancels it. `check` gets the subject and returns what to tell (the
   * exit then fails), or undefined when all is well. It must not capture `subject` itself, or the
   * subject would never be collected.
   *
   * @example
   * ```ts
   * const cancel = exitChecks.add(kernel, (k) => (k.pendingAsks > 0 ? 'asks nobody answered' : undefined));
   * void kernel.whenStopped.then(cancel);
   * ```
   */
  add<T extends object>(subject: T, check: (subject: T) => string | undefined): () => void {
    const registered: RegisteredCheck = { subject: new WeakRef(subject), check: check as (subject: object) => string | undefined };
    if (this.checks.size === 0) this.host.on('beforeExit', this.onBeforeExit);
    this.checks.add(registered);
    this.collected.register(subject, registered, registered);
    return () => this.cancel(registered);
  }

  private cancel(registered: RegisteredCheck): void {
    if (!this.checks.delete(registered)) return;
    this.collected.unregister(registered);
    if (this.checks.size === 0) this.host.off('beforeExit', this.onBeforeExit);
  }

  /** Runs every check once; a check that fails is told and dropped, so a second `beforeExit` does not repeat it. */
  private runChecks(): void {
    for (const registered of [...this.checks]) {
      const subject = registered.subject.deref();
      if (subject === undefined) {
        this.cancel(registered);
        continue;
      }
      const failure = registered.check(subject);
      if (failure === undefined) continue;
      this.cancel(registered);
      this.host.fail(failure);
    }
  }
}

interface RegisteredCheck {
  readonly subject: WeakRef<object>;
  readonly check: (subject: object) => string | undefined;
}

/** The real process: a failed check prints on stderr and sets exit code 1, unless the program set one. */
const processHost: ExitHost = {
  on: (event, listener) => process.on(event, listener),
  off: (event, listener) => process.off(event, listener),
  fail: (message) => {
    // Synchronous on pipes and files, so the message is out before the process ends.
    process.stderr.write(`${message}\n`);
    if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = 1;
  },
};

/** The checks of this process (simulated kernels register theirs at boot). */
export const processExitChecks = new ExitChecks(processHost);
