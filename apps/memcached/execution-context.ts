/**
 * What every command runs against: the store, the clocks, the server's figures and the state the
 * commands share across connections (counters, item marks). One per server, shared by its sessions.
 */
import type { ItemStore } from './store/item-store.js';
import type { ItemHolds } from './item-holds.js';
import type { ItemMarks } from './item-marks.js';
import type { CommandCounters, ServerInfo } from './stats.js';

export interface ExecutionContext {
  readonly store: ItemStore;
  /** The kernel's clock, in ms. */
  now(): number;
  /** Unix time now, in seconds: the kernel's clock is not unix time, and absolute exptimes are. */
  unixNowS(): number;
  readonly server: ServerInfo;
  readonly counters: CommandCounters;
  readonly marks: ItemMarks;
  /** Items referenced by replies not yet sent. */
  readonly holds: ItemHolds;
}
