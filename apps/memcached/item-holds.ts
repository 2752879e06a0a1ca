/**
 * Which items replies not yet sent still reference. memcached 1.6.18 counts references to an item,
 * and an `mg` reply keeps one on the item it found until the reply is sent; incr and decr rewrite
 * a number in place only when nobody else references the item, and otherwise store a new item
 * (no padding, fresh flag bits). Clients see the difference, so the executor must know.
 *
 * @example
 * ```ts
 * const holds = new ItemHolds();
 * const token = holds.hold(item); // an mg reply queued
 * holds.isHeld(item); // true
 * holds.release([token]); // the reply was sent
 * ```
 */
import type { Item } from './store/item-store.js';

export class ItemHolds {
  private readonly counts = new Map<string, number>();

  /** Notes one more reference to `item`; returns the token to release it with. */
  hold(item: Item): string {
    const token = holdToken(item);
    this.counts.set(token, (this.counts.get(token) ?? 0) + 1);
    return token;
  }

  isHeld(item: Item): boolean {
    return this.counts.has(holdToken(item));
  }

  /** Drops the references `tokens` stand for. */
  release(tokens: readonly string[]): void {
    for (const token of tokens) {
      const count = this.counts.get(token) ?? 0;
      if (count <= 1) this.counts.delete(token);
      else this.counts.set(token, count - 1);
    }
  }
}

/** One version of an item: its key and its cas. */
function holdToken(item: Item): string {
  return `${item.cas}\u0000${item.key}`;
}
