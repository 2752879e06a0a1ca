/**
 * Write-behind for a file device: once `thresholdBytes` have been written since the last flush
 * began, a flush (`fdatasync`) starts in the background. Linux otherwise leaves written pages in
 * memory for up to 30 s, so the pool's own flush at a commit would start the disk only when the
 * commit's CPU work (checksums, the tree) is done; started early, the disk writes back while the
 * pool still works, and the commit's flush finds little left. Measured on this machine, a 32 MiB
 * commit took 20 ms less with 8 MiB of write-behind (docs/storage.md).
 *
 * A background flush promises nothing; a caller's `flush` still runs its own. But an error it
 * meets is kept for the next `flush`, which fails with it: Linux reports a write-back error to one
 * `fdatasync` only, so the background one would otherwise swallow it and the next would succeed
 * with the data lost.
 *
 * @example
 * ```ts
 * const behind = new WriteBehind(() => handle.datasync(), 8 << 20);
 * behind.wrote(1 << 20);          // at 8 MiB, a datasync starts in the background
 * await behind.flush();           // the caller's own datasync, failing with a background error first
 * await behind.settled();         // before the handle closes
 * ```
 */

/** Bytes written after which a flush starts in the background, by default. */
export const writeBehindBytesDefault = 8 << 20;

/** `bytes` checked as a write-behind threshold (`writeBehindBytesDefault` when not given); throws RangeError. */
export function writeBehindThreshold(bytes: number = writeBehindBytesDefault): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0)
    throw new RangeError(`writeBehindBytes must be a non-negative whole number of bytes (0 for none), got ${bytes}`);
  return bytes;
}

export class WriteBehind {
  private sinceFlushBytes = 0;
  /** The background flush running, with its failure once it has failed. */
  private background: { done: Promise<void>; failure: unknown } | null = null;
  /** A background flush's failure that no caller's flush has reported yet. */
  private unreported: unknown = null;
  /**
   * Callers' flushes under way. No background flush starts meanwhile: the operating system reports
   * a write-back error to one `fdatasync`, and it must be the caller's.
   */
  private callerFlushes = 0;
  readonly thresholdBytes: number;

  constructor(
    private readonly datasync: () => Promise<void>,
    thresholdBytes: number,
  ) {
    this.thresholdBytes = writeBehindThreshold(thresholdBytes);
  }

  /** Counts `bytes` written, and starts a background flush past the threshold if no flush is running. */
  wrote(bytes: number): void {
    this.sinceFlushBytes += bytes;
    if (this.thresholdBytes === 0 || this.sinceFlushBytes < this.thresholdBytes || this.background !== null || this.callerFlushes > 0) return;
    this.sinceFlushBytes = 0;
    const run: { done: Promise<void>; failure: unknown } = { done: Promise.resolve(), failure: null };
    run.done = this.datasync().then(
      () => {
        this.background = null;
      },
      (error: unknown) => {
        run.failure = error;
        this.unreported ??= error;
        this.background = null;
      },
    );
    this.background = run;
  }

  /**
   * The caller's flush: fails with the error of a background flush it waited for, or of one that
   * failed since the last flush; else runs `datasync`.
   */
  async flush(): Promise<void> {
    this.sinceFlushBytes = 0;
    this.callerFlushes++;
    try {
      const running = this.background;
      if (running !== null) await running.done;
      const failure = running?.failure ?? this.unreported;
      if (failure !== null && failure !== undefined) {
        this.unreported = null;
        throw failure;
      }
      await this.datasync();
    } finally {
      this.callerFlushes--;
    }
  }

  /** Resolves once no background flush is running. */
  async settled(): Promise<void> {
    await this.background?.done;
  }
}
