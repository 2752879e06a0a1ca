/**
 * What memcached keeps in an item's flag bits that the `ItemStore` contract does not: whether it
 * was fetched (mg's `h`, me's `fetch`), marked stale (md's `I`, mg's `X`), whether a client
 * already won the right to recache it (mg's `W` and `Z`) and whether its key came in base64. A mark belongs to one version of an
 * item: it is keyed by key and holds the cas it was made for, so that any store (a new cas) drops
 * it. The table is bounded; when full, the oldest mark is forgotten, which at worst shows an item
 * as never fetched or lets a second client win a recache.
 */
import { assert } from '../../ground/assert.js';
import type { Item } from './store/item-store.js';

export interface ItemMark {
  readonly fetched: boolean;
  readonly stale: boolean;
  readonly tokenSent: boolean;
  /** Stored by a meta command with `b`: mg's `k` and me show its key in base64. */
  readonly binaryKey: boolean;
}

const unmarked: ItemMark = { fetched: false, stale: false, tokenSent: false, binaryKey: false };

/**
 * Marks of items, by key and cas.
 *
 * @example
 * ```ts
 * const marks = new ItemMarks(65_536);
 * marks.set(item, { tokenSent: true });
 * marks.of(item).tokenSent; // true, until the item is stored again
 * ```
 */
export class ItemMarks {
  private readonly marks = new Map<string, { readonly cas: number; readonly mark: ItemMark }>();

  constructor(readonly marksCountMax: number) {
    assert(Number.isInteger(marksCountMax) && marksCountMax > 0, 'the marks table holds at least one mark');
  }

  /** The marks of `item` (none if it was stored again since). */
  of(item: Item): ItemMark {
    const entry = this.marks.get(item.key);
    return entry !== undefined && entry.cas === item.cas ? entry.mark : unmarked;
  }

  /** Changes the marks of `item`. */
  set(item: Item, change: Partial<ItemMark>): void {
    const mark = { ...this.of(item), ...change };
    this.marks.delete(item.key);
    if (this.marks.size >= this.marksCountMax) this.marks.delete(this.marks.keys().next().value!);
    this.marks.set(item.key, { cas: item.cas, mark });
  }

  /** Gives the marks of `from` to its new version `to` (a restore that memcached makes in place). */
  carry(from: Item, to: Item, change: Partial<ItemMark> = {}): void {
    const mark = this.of(from);
    this.set(to, { ...mark, ...change });
  }
}
