/**
 * The reports of one stream (failures, dead letters or trace events) a CPU holds until they can
 * cross to CPU 0. Bounded, with the overflow policy `drop-newest`: a full queue drops the new report
 * and counts it, and the count crosses with the stream's next frame, to be published on CPU 0's
 * `kernel.droppedReports`. A storm therefore costs the ring one bounded batch at a time, and what
 * it could not carry is said, not hidden.
 *
 * @example
 * ```ts
 * const queue = new ReportQueue<ChildFailure>(256);
 * queue.offer(failure);          // false when full: dropped, and counted in `queue.dropped`
 * send(queue.first(8));          // then, once the frame is in the ring:
 * queue.discard(8);
 * queue.dropped = 0;             // the count went with it
 * ```
 */
import { invariantBroken } from '../../ground/assert.js';

export class ReportQueue<T> {
  private items: T[] = [];
  /** Reports dropped since the stream's last frame went out. */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) invariantBroken(`a report queue holds at least one report, got ${capacity}`);
  }

  get count(): number {
    return this.items.length;
  }

  /** Queues `report`, or drops and counts it when the queue is full (drop-newest). */
  offer(report: T): boolean {
    if (this.items.length >= this.capacity) {
      this.dropped++;
      return false;
    }
    this.items.push(report);
    return true;
  }

  /** The oldest `count` reports, left in place. */
  first(count: number): readonly T[] {
    return this.items.slice(0, count);
  }

  /** Removes the oldest `count` reports (sent, or given up on and counted by the caller). */
  discard(count: number): void {
    this.items.splice(0, count);
  }

  /** Forgets every report and the drop count: nobody wants this stream any more. */
  clear(): void {
    this.items = [];
    this.dropped = 0;
  }
}
