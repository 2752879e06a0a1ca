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
  private background: Promise<void> | null = null;
  /** A background flush's failure, not yet reported to a caller's flush. */
  private failure: unknown = null;

  /**
   * `datasync` makes what was written durable; `thresholdBytes` (a non-negative safe integer; 0
   * turns write-behind off) is how much is written before a background one starts.
   */
  readonly thresholdBytes: number;

  constructor(
    private readonly datasync: () => Promise<void>,
    thresholdBytes: number,
  ) {
    this.thresholdBytes = writeBehindThreshold(thresholdBytes);
  }

  /** Counts `bytes` written, and starts a background flush past the threshold if none is running. */
  wrote(bytes: number): void {
    this.sinceFlushBytes += bytes;
    if (this.thresholdBytes === 0 || this.sinceFlushBytes < this.thresholdBytes || this.background !== null) return;
    this.sinceFlushBytes = 0;
    this.background = this.datasync()
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.background = null;
      });
  }

  /** The caller's flush: fails with a background flush's error if one came, else runs `datasync`. */
  async flush(): Promise<void> {
    this.sinceFlushBytes = 0;
    // A background flush still running may yet fail: its outcome comes first.
    await this.background;
    if (this.failure !== null) {
      const failure = this.failure;
      this.failure = null;
      throw failure;
    }
    await this.datasync();
  }

  /** Resolves once no background flush is running. */
  async settled(): Promise<void> {
    await this.background;
  }
}
