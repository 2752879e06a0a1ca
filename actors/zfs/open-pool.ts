/**
 * An open pool (`OpenPool`): its devices as actors under its top-level device, its space, its
 * object set, and its operations, run one at a time in its actor (pool-actor.ts): reads, changes
 * and the room check, commits in transaction groups, scrubs, replaces and resilvers, and closing.
 * pool.ts makes one by creating or importing a pool.
 */
import {
  type PoolOptions,
  type Pool,
  PoolError,
  type PoolObjects,
  type PoolStatus,
  type PoolTurn,
  recordBytesDefault,
  type ScrubProgress,
  type ScrubStatus,
} from './pool-api.js';
import { metadataBlockBytesMax, roomCosts } from './room-costs.js';
import { deviceName, devicePathOf, newGuid } from './device-names.js';
import type { BlockDevice } from '../../drivers/block/block-device.js';
import { type BlockPointer, copiesMax, isHole } from './block-pointer.js';
import { PoolBlockIo, PoolFullError, rewindTxgs } from './block-io.js';
import { RecordBuffers } from './record-buffers.js';
import { deviceRequest, type PoolDevice, type PoolDeviceMsg } from './device-actor.js';
import type { ActorRef } from '../runtime/ref.js';
import { FormatError } from './format-errors.js';
import { type LabelConfig, labelBytes, labelOffsets, type PoolLayout } from './label.js';
import { clearLabels, guidSumOf, type LabelWriter, readLabels, writeLabelPair, writeLabels, writeUberblock } from './label-io.js';
import { ObjectSet } from './object-set.js';
import { levelsFor, pointersPerIndirect } from './object-tree.js';
import { type TxgEvent, type TxgMachine, type TxgState, txgMachine } from './txg-machine.js';
import { xstate } from '../runtime/lazy-packages.js';
import type { TimerHandle } from '../../drivers/clock/clock.js';
import { SpaceMap } from './space-map.js';
import { type TopVdev, topVdevOf } from './top-vdev.js';
import type { Storage } from './storage.js';
import { type PoolActorMsg, poolOperationDeadlineMs } from './pool-actor.js';
import { uberblockVersion } from './uberblock.js';
import { ChecksumError } from './verified-read.js';
import type { ScrubResult } from './scan-record.js';

/** An open pool: its devices as actors, its space, and its object set. */
export class OpenPool implements Pool {
  readonly name: string;
  readonly guid: string;
  readonly layout: PoolLayout;
  readonly objects: PoolObjects;
  /** The same calls, straight on the object set: only for work in its turn. */
  private readonly direct: PoolObjects;
  private readonly io: PoolBlockIo;
  private readonly vdev: TopVdev;
  private readonly space: SpaceMap;
  /** Room kept free for the metadata of any commit (see `roomCosts`). */
  private readonly roomReservedBytes: number;
  private guidSum: bigint;
  /** The pool's actor, where its operations run once it has started (see `run`); null before, and once closed. */
  private actor: ActorRef<PoolActorMsg> | null = null;
  /** Its sync actor, where each group's flushes and uberblock are written (see `writeGroup`); null before it starts, and once closed. */
  private syncer: ActorRef<PoolActorMsg> | null = null;
  /** The last group whose blocks are written: the open group is the next. Its flushes and uberblock may still be under way. */
  private writtenTxg: number;
  /** The group the sync actor is making durable, and the end of that (it never rejects: a failure suspends the pool). */
  private syncing: { readonly txg: number; readonly done: Promise<void> } | null = null;
  /** Why the last group failed to become durable, for whoever waits for it. */
  private syncFailure: unknown = null;
  /**
   * Whether an operation has failed since the pool suspended, telling its caller. A group can fail
   * with nobody waiting (the timer's, or one a write past the dirty bound wrote): then the export
   * fails, so the changes lost reach someone.
   */
  private suspensionReported = false;
  /** The last durable group whose freed space and memory the pool has taken back (see `takeBackDurable`). */
  private takenBackTxg: number;
  /** Closing (an export, destroy or abandon began): every operation asked from now on fails. */
  private closing = false;
  /** Closed, and its last operations run. */
  private ended = false;
  /** The tail of the queue operations wait their turn in before the pool has started. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Why the pool stopped taking changes (a commit failed part way), or null. */
  private suspended: string | null = null;
  private scan: ScrubStatus | null = null;
  /** Where its transaction groups are (txg-machine.ts). */
  private txgSnapshot: ReturnType<TxgMachine['resolveState']>;
  private readonly commitIntervalMs: number;
  private readonly dirtyBytesMax: number;
  /** The timer of the next commit on its own, or null (not started, or closed). */
  private commitTimer: TimerHandle | null = null;
  /** Its devices, as actors and as block devices, by index in its configuration (a replace changes one). */
  readonly devices: (PoolDevice | undefined)[];
  readonly blockDevices: (BlockDevice | undefined)[];
  /** Open for use: shown in the storage subsystem's status, and holding its name there. */
  private started = false;
  /** Inside an `atomically` turn: changes past the dirty bound commit at its end, not between its steps. */
  private inTurn = false;
  /** Devices behind at import, each with the group from which on it may lack blocks (see `resilverStale`). */
  private readonly staleSince: ReadonlyMap<number, number>;
  /** Whether they are left out of reads until resilvered (else read like the others: too few without them). */
  private readonly staleExcluded: boolean;
  /** Devices whose labels missed a relabel (a replace's): no uberblock goes to them while the pool is open. */
  private readonly labelsBehind = new Set<number>();
  /** What the changes since the last commit will take on the devices, at most (see `changing`). */
  private pendingCostBytes = 0;
  /** What the largest block those changes will write takes on the devices. */
  private pendingLargestBytes = 0;
  /** What a block of so many bytes takes on the devices, parity and rounding included. */
  private readonly allocatedBytesOf: (bytes: number) => number;
  /** What a new indirect block of level 1 takes on the devices: two copies. */
  private readonly parentCostBytes: number;
  private closed = false;

  constructor(
    private readonly storage: Storage,
    private config: LabelConfig,
    blockDevices: readonly (BlockDevice | undefined)[],
    devices: readonly (PoolDevice | undefined)[],
    private committedTxg: number,
    private set: ObjectSet | null,
    /** Checked (`poolOptionsOf`). */
    options: Required<PoolOptions>,
    /**
     * Devices behind (by index), each with the group from which on it may lack blocks (see pool.ts's
     * `staleDevices`); `excluded`: not read from until resilvered (else read like the others).
     */
    behind: { readonly stale: ReadonlyMap<number, number>; readonly excluded: boolean } = { stale: new Map(), excluded: true },
  ) {
    this.writtenTxg = this.takenBackTxg = committedTxg;
    this.staleSince = behind.stale;
    this.staleExcluded = behind.excluded;
    this.commitIntervalMs = options.commitIntervalMs;
    this.dirtyBytesMax = options.dirtyBytesMax;
    this.txgSnapshot = txgMachine().resolveState({ value: 'open' });
    this.devices = [...devices];
    this.blockDevices = [...blockDevices];
    this.name = config.poolName;
    this.guid = config.poolGuid;
    this.layout = config.layout;
    this.guidSum = guidSumOf(config.deviceGuids);
    const area = { sectorBytes: config.sectorBytes, dataStartBytes: 2 * labelBytes, dataEndBytes: config.dataEndBytes };
    // As much memory is kept for reuse as one group may change: the next group's changes (and RAID-Z's parity) need no new memory.
    const memory = new RecordBuffers(this.dirtyBytesMax);
    this.vdev = topVdevOf(
      config.layout,
      devices.map((device) => device?.ref),
      area,
      memory,
    );
    if (behind.excluded) for (const index of this.staleSince.keys()) this.vdev.rebuildChild(index, devices[index]!.ref);
    this.space = new SpaceMap(this.vdev.startBytes, this.vdev.endBytes, config.sectorBytes);
    this.io = new PoolBlockIo({ space: this.space, vdev: this.vdev, checksum: config.checksum, memory, cacheBytes: options.cacheBytes });
    // Room is counted in what blocks take on the devices, parity and rounding included.
    const { blockCostBytes, dnodeCostBytes, roomReservedBytes, allocatedBytesOf, parentCostBytes } = roomCosts(this.vdev);
    this.roomReservedBytes = roomReservedBytes;
    this.parentCostBytes = parentCostBytes;
    this.allocatedBytesOf = allocatedBytesOf;
    const io = this.io;
    const objects = () => {
      if (this.set === null) throw new PoolError(this.name, 'suspended', 'the pool is not loaded');
      return this.set;
    };
    // Each call straight on the object set, for work already in its turn (`atomically`)...
    this.direct = {
      // Each a change like the others: refused once suspended, and checked for room.
      create: (type, blockBytes = recordBytesDefault) =>
        this.changing(
          dnodeCostBytes,
          false,
          0,
          async () => objects().create(type, blockBytes, this.writtenTxg + 1),
          () => dnodeCostBytes,
        ),
      read: (id, offsetBytes, lengthBytes, into) => objects().read(io, id, offsetBytes, lengthBytes, into),
      write: async (id, offsetBytes, data, options) => {
        const { blockBytes, levels } = await objects().stat(io, id);
        const first = Math.floor(offsetBytes / blockBytes);
        const blocks = data.byteLength === 0 ? 0 : Math.floor((offsetBytes + data.byteLength - 1) / blockBytes) - first + 1;
        // The indirect blocks it may dirty: at each level up to the tree's (as tall as the write
        // makes it), one above every 128 of the level below, and one more where the run starts.
        let parents = 0;
        const height = blocks === 0 ? 0 : Math.max(levels, levelsFor(first + blocks));
        for (let level = 1, span = blocks; level < height; level++) {
          span = Math.ceil(span / pointersPerIndirect);
          parents += span + 1;
        }
        return this.changing(
          blocks * blockCostBytes(blockBytes) + parents * parentCostBytes + dnodeCostBytes,
          options?.useReserve === true,
          blockBytes,
          () => objects().write(io, id, offsetBytes, data),
          (dirtied) => (dirtied / blockBytes) * blockCostBytes(blockBytes) + dnodeCostBytes,
        );
      },
      truncate: async (id, sizeBytes) => {
        // A cut inside a block rewrites that block, so it needs room like a write; any other cut
        // gives room back (later: frees are deferred) and may use the room kept back.
        const { blockBytes, sizeBytes: before } = await objects().stat(io, id);
        const rewritesTail = sizeBytes < before && sizeBytes % blockBytes !== 0;
        return this.changing(
          (rewritesTail ? blockCostBytes(blockBytes) + parentCostBytes : 0) + dnodeCostBytes,
          !rewritesTail,
          rewritesTail ? blockBytes : 0,
          () => objects().truncate(io, id, sizeBytes),
          (dirtied) => (Math.max(0, dirtied) / blockBytes) * blockCostBytes(blockBytes) + dnodeCostBytes,
        );
      },
      remove: (id) =>
        this.changing(
          dnodeCostBytes,
          true,
          0,
          () => objects().remove(io, id),
          () => dnodeCostBytes,
        ),
      stat: (id) => objects().stat(io, id),
      ids: () => objects().ids(io),
    };
    // ...and each in a turn of its own.
    const direct = this.direct;
    this.objects = {
      create: (type, blockBytes) => this.run(() => direct.create(type, blockBytes)),
      read: (id, offsetBytes, lengthBytes, into) => this.run(() => direct.read(id, offsetBytes, lengthBytes, into)),
      write: (id, offsetBytes, data, options) => this.run(() => direct.write(id, offsetBytes, data, options)),
      truncate: (id, sizeBytes) => this.run(() => direct.truncate(id, sizeBytes)),
      remove: (id) => this.run(() => direct.remove(id)),
      stat: (id) => this.run(() => direct.stat(id)),
      ids: () => this.run(() => direct.ids()),
    };
  }

  atomically<T>(work: (turn: PoolTurn) => Promise<T>): Promise<T> {
    return this.run(async () => {
      // Inside the turn, a change past the dirty bound does not commit between the work's steps:
      // the commit waits for the end of the turn.
      this.inTurn = true;
      let result: T;
      try {
        result = await work({ objects: this.direct, commit: () => this.sync() });
      } finally {
        this.inTurn = false;
      }
      if ((this.set?.dirtyBytes ?? 0) > this.dirtyBytesMax) await this.writeGroup();
      return result;
    });
  }

  get txg(): number {
    return this.committedTxg;
  }

  /** Loads the object set `root` points at, verifying every block of it and claiming its space. */
  async load(root: BlockPointer): Promise<void> {
    const set = isHole(root) ? ObjectSet.empty(this.committedTxg) : await ObjectSet.load(this.io, root);
    for await (const pointer of set.pointers(this.io)) this.io.claim(pointer);
    this.set = set;
    const scan = set.lastScan;
    this.scan = scan === null ? null : { state: 'finished', ...scan };
  }

  /**
   * The pool is open: its operations run in its actor from now on (pool-actor.ts), it shows in the
   * storage subsystem's status, and it commits on its own.
   */
  async start(): Promise<void> {
    if (this.closed) return;
    this.syncer = await this.storage.startSyncActor(this.name);
    this.actor = await this.storage.startPoolActor(this.name);
    this.storage.poolOpened(this.name, this);
    this.started = true;
    this.armCommitTimer();
  }

  /** Arms the commit interval's timer. */
  private armCommitTimer(): void {
    if (this.closed) return;
    this.commitTimer = this.storage.setTimer(this.commitIntervalMs, () => {
      this.commitTimer = null;
      // A failed commit suspends the pool, and a suspended pool has nothing more to commit. With
      // nothing changed, a group is still committed while space freed lately waits for one (ZFS's
      // syncing of frees), so an idle pool gets its space back.
      // An operation that could not even be asked (its mailbox full) does not end the commits; a
      // failed commit, which suspends the pool, does (as does closing it, see armCommitTimer).
      // The pool's own: a failure here is reported by the next operation, or by the export.
      this.enqueue(() => this.writeGroup(this.io.freesDeferred))
        .then((txg) => this.durable(txg))
        .then(
          () => this.armCommitTimer(),
          () => {
            if (this.suspended === null) this.armCommitTimer();
          },
        );
    });
  }

  async commit(): Promise<number> {
    const txg = await this.run(() => this.writeGroup());
    // Outside the turn: the operations after it run while its group is flushed.
    await this.reported(this.durable(txg));
    return txg;
  }

  /**
   * Keeps the blocks of an older tree (`root`) from reuse as a running pool keeps those of the last
   * groups it committed: as if freed now (block-io.ts defers them). A tree that does not verify is
   * no tree to fall back on, and is left alone.
   */
  async protect(root: BlockPointer): Promise<void> {
    if (isHole(root)) return;
    try {
      const older = await ObjectSet.load(this.io, root);
      for await (const pointer of older.pointers(this.io)) this.io.claimDeferred(pointer, this.writtenTxg);
    } catch (error) {
      if (!(error instanceof FormatError || error instanceof ChecksumError)) throw error;
    }
  }

  /**
   * Resilvers the devices behind (see `staleSince`) from the blocks born after the group each may lack
   * blocks from, writes their labels again with the pool's configuration (they may have missed a
   * replace), then commits a group they take whole. A device that fails a write meanwhile is left
   * out: it gets no uberblock while the pool is open, and is behind again at the next import. When
   * the devices behind were read as well (too few others), a block none of them gives means they
   * lack what the pool needs: ChecksumError, and nothing is committed. Run at import, before the
   * pool starts.
   */
  async resilverStale(): Promise<void> {
    if (this.staleSince.size === 0) return;
    await this.run(async () => {
      const failing = new Set<number>();
      const result = await this.walkBlocks('resilver', undefined, async (pointer) => {
        let parts = 0;
        let bytes = 0;
        for (const [index, since] of this.staleSince) {
          if (pointer.birthTxg <= since || failing.has(index)) continue;
          try {
            bytes += await this.io.resilver(pointer, index, this.devices[index]!.ref);
            parts++;
          } catch (error) {
            if (error instanceof ChecksumError) return { repairedCopies: parts, repairedBytes: bytes, unrecoverable: true };
            failing.add(index);
          }
        }
        return { repairedCopies: parts, repairedBytes: bytes, unrecoverable: false };
      });
      // A tree the walk could not finish is no tree to import (load verified it, so this is rare).
      if (!result.complete) throw new ChecksumError(['the resilver could not read all of the tree']);
      if (!this.staleExcluded && result.unrecoverableBlocks > 0)
        throw new ChecksumError([`${result.unrecoverableBlocks} block(s) of the groups the devices behind missed cannot be read`]);
      for (const index of this.staleSince.keys()) {
        if (failing.has(index)) continue;
        const device = this.devices[index]!;
        try {
          await device.ref.ask({ type: 'flush' }, deviceRequest);
          // Its labels may be older than the pool's configuration (it missed a replace): written
          // again before it takes an uberblock, so that it imports alone as what it is now.
          await writeLabels(throughActor(device.ref, this.blockDevices[index]!.sizeBytes), { ...this.config, deviceIndex: index });
          this.vdev.setChild(index, device.ref);
        } catch {
          failing.add(index);
        }
      }
      for (const index of failing) this.labelsBehind.add(index);
      this.recordScan(result);
      await this.sync(true);
    });
  }

  /** Where its transaction groups are: open, quiescing, syncing or suspended. */
  get txgState(): TxgState {
    return this.txgSnapshot.value as TxgState;
  }

  /** Writes the open group and waits until it is durable, in the caller's turn; returns the last group written. */
  private async sync(evenUnchanged = false): Promise<number> {
    const txg = await this.writeGroup(evenUnchanged);
    await this.durable(txg);
    this.takeBackDurable();
    return txg;
  }

  /**
   * Closes the open group and writes its blocks (`quiescing`: changes wait), then hands its flushes
   * and uberblock to the sync actor (`syncing`) and returns its txg without waiting for them: the next
   * group takes changes meanwhile, as ZFS's open group does while another syncs. One group syncs at a
   * time: the one before must be durable first. A group with nothing changed is not written unless
   * `evenUnchanged` (which only moves the groups on, so that space freed lately comes back); the
   * txg returned is then the last group written. Run in a turn.
   */
  private async writeGroup(evenUnchanged = false): Promise<number> {
    await this.durable(this.writtenTxg);
    this.takeBackDurable();
    const set = this.set;
    if (set === null || (!set.dirty && !evenUnchanged)) return this.writtenTxg;
    if (this.suspended !== null) throw new PoolError(this.name, 'suspended', this.suspended);
    this.step({ type: 'txg.commit' });
    const txg = this.writtenTxg + 1;
    let root: BlockPointer;
    try {
      root = await set.sync(this.io, txg);
    } catch (error) {
      this.suspend(error);
      throw error;
    }
    this.step({ type: 'txg.quiesced' });
    this.writtenTxg = txg;
    this.pendingCostBytes = 0;
    this.pendingLargestBytes = 0;
    // A side counts only if it took every block of the tree, its flush and its uberblock: a side
    // that ever missed a block must not get an uberblock pointing at it.
    const sides = this.committingSides();
    const uberblock = { version: uberblockVersion, txg, guidSum: this.guidSum, timestampMs: Math.round(this.storage.now()), root };
    const done = this.onSyncer(async () => {
      // The new blocks are durable before any uberblock points at them.
      const flushed = await this.succeeding(sides, (side) => side.ref.ask({ type: 'flush' }, deviceRequest), 'flush the group');
      await this.succeeding(
        flushed,
        (side) => writeUberblock(throughActor(side.ref, side.sizeBytes), uberblock, this.config.sectorBytes),
        'write the uberblock',
      );
    }).then(
      () => {
        this.committedTxg = txg;
        this.step({ type: 'txg.synced' });
      },
      (error: unknown) => this.suspend(error),
    );
    this.syncing = { txg, done };
    return txg;
  }

  /**
   * Part of a group may be on the devices, and the object set in memory is past the last group
   * committed: the pool takes no more changes. An import finds the last group committed.
   */
  private suspend(error: unknown): void {
    this.syncFailure ??= error;
    this.suspended ??= `a commit failed: ${(error as Error).message}`;
    this.step({ type: 'txg.failed' });
  }

  /** Resolves once group `txg` (written) is durable; rejects with the failure that suspended the pool if it never will be. */
  private async durable(txg: number): Promise<void> {
    const syncing = this.syncing;
    if (syncing !== null && syncing.txg >= txg) await syncing.done;
    if (txg > this.committedTxg) throw this.syncFailure ?? new PoolError(this.name, 'suspended', this.suspended ?? `group ${txg} was not committed`);
  }

  /**
   * The groups made durable since: the blocks freed `rewindTxgs` before them come back as free space,
   * and the memory of blocks the cache let go of may hold new changes (block-io.ts). Only between
   * operations' work on blocks (at the start of a turn, or where a turn waits for a commit): no
   * block read from the cache is then still in use.
   */
  private takeBackDurable(): void {
    if (this.committedTxg <= this.takenBackTxg) return;
    this.takenBackTxg = this.committedTxg;
    this.io.committed(this.committedTxg);
  }

  /** Runs `work` in the sync actor once the pool has started, else at once (an import's commits). */
  private onSyncer(work: () => Promise<void>): Promise<void> {
    const syncer = this.syncer;
    if (syncer === null) return work();
    return syncer.ask({ type: 'run', operation: work }, { deadlineMs: poolOperationDeadlineMs }) as Promise<void>;
  }

  private step(event: TxgEvent): void {
    this.txgSnapshot = xstate().transition(txgMachine(), this.txgSnapshot, event)[0];
  }

  status(): PoolStatus {
    const devices = this.devices.map(
      (device, index) =>
        device?.status() ?? { name: deviceName(this.config, index), state: 'missing' as const, was: this.config.devicePaths?.[index] || undefined },
    );
    const whole = devices.every((device) => device.state === 'online');
    return {
      name: this.name,
      guid: this.guid,
      layout: this.layout,
      checksum: this.config.checksum,
      state: whole ? 'online' : 'degraded',
      txg: this.committedTxg,
      usedBytes: this.space.usedBytes,
      freeBytes: this.space.freeBytes,
      repaired: this.io.repaired,
      scan: this.scan,
      txgState: this.txgState,
      devices,
    };
  }

  scrub(onProgress?: (progress: ScrubProgress) => void): Promise<ScrubResult> {
    return this.run(async () => {
      // What changed is committed first, in the same turn: the scrub sees the whole pool.
      await this.sync();
      const result = await this.walkBlocks('scrub', onProgress, async (pointer) => {
        const scrubbed = await this.io.scrub(pointer);
        return { repairedCopies: scrubbed.repaired, repairedBytes: scrubbed.repairedBytes, unrecoverable: scrubbed.unrecoverable };
      });
      // The repairs are durable before the scrub says it is done, and so is its result (a group of its
      // own, which leaves nothing uncommitted behind it).
      if (result.repairedCopies > 0) await Promise.allSettled(this.devices.map((device) => device?.ref.ask({ type: 'flush' }, deviceRequest)));
      if (this.suspended === null) {
        this.recordScan(result);
        await this.sync();
      }
      return result;
    });
  }

  replace(which: number | string, device: BlockDevice, onProgress?: (progress: ScrubProgress) => void): Promise<ScrubResult> {
    return this.run(async () => {
      await this.sync();
      if (this.suspended !== null) throw new PoolError(this.name, 'suspended', this.suspended);
      const index = this.deviceIndexOf(which);
      await this.checkReplacement(device);
      const guids = [...this.config.deviceGuids];
      guids[index] = newGuid(this.storage.random, guids);
      // The labels name each device as it is now: the new one, those open where they are found, and
      // a missing one as the labels named it last (as zpool refreshes its paths).
      const paths = guids.map((_, at) =>
        at === index ? devicePathOf(device.name) : devicePathOf(this.blockDevices[at]?.name ?? this.config.devicePaths?.[at] ?? ''),
      );
      const next: LabelConfig = { ...this.config, deviceGuids: guids, txg: this.writtenTxg + 1, devicePaths: paths };
      const opened = await this.storage.openDevice(device, { name: deviceName(next, index) });
      const before = { device: this.devices[index], blockDevice: this.blockDevices[index] };
      let swapped = false;
      let result: ScrubResult;
      try {
        // The device replaced is still read from while the new one is written, if it is there (ZFS's
        // replacing device): a block only it holds whole is not lost.
        result = await this.walkBlocks('resilver', onProgress, async (pointer) => {
          try {
            const bytes = await this.io.resilver(pointer, index, opened.ref);
            return { repairedCopies: bytes > 0 ? 1 : 0, repairedBytes: bytes, unrecoverable: false };
          } catch (error) {
            if (!(error instanceof ChecksumError)) throw error;
            return { repairedCopies: 0, repairedBytes: 0, unrecoverable: true };
          }
        });
        // A block no device gives (the one replaced included) is lost whether or not the replace goes
        // on: it goes on, as ZFS's does, so the pool gets its redundancy back, and says how many. A
        // walk cut short by lost metadata did not reach the blocks below it: the old device stays.
        if (!result.complete)
          throw new PoolError(this.name, 'unrecoverable', `the resilver could not read the blocks under lost metadata: device ${which} stays in the pool`);
        await opened.ref.ask({ type: 'flush' }, deviceRequest);
        // The new device takes the place; every device's front labels name it, the back labels still the old one.
        this.devices[index] = opened;
        this.blockDevices[index] = device;
        this.vdev.setChild(index, opened.ref);
        swapped = true;
        await this.eachLabel((side) => writeLabelPair(side.writer, { ...next, deviceIndex: side.index }, 'front'));
      } catch (error) {
        // Nothing on the devices makes the new device the pool's yet: the old one stays.
        if (swapped) {
          this.vdev.setChild(index, before.device?.ref);
          this.devices[index] = before.device;
          this.blockDevices[index] = before.blockDevice;
        }
        await opened.close();
        throw error;
      }
      // The group that makes the new configuration the pool's: its uberblock carries the new guid sum.
      this.config = next;
      this.guidSum = guidSumOf(guids);
      this.recordScan(result);
      await this.sync(true);
      await this.eachLabel((side) => writeLabelPair(side.writer, { ...next, deviceIndex: side.index }, 'back')).catch(() => undefined);
      // The device replaced leaves the pool, as `zpool replace` detaches it: no import takes it for one of the pool's again.
      await before.device?.close();
      if (before.blockDevice !== undefined) await clearLabels(before.blockDevice).catch(() => undefined);
      return result;
    });
  }

  /** Which device `which` names: an index in the configuration, a device guid, or a block device's name. */
  private deviceIndexOf(which: number | string): number {
    const index =
      typeof which === 'number'
        ? Number.isInteger(which) && which >= 0 && which < this.config.deviceGuids.length
          ? which
          : -1
        : this.config.deviceGuids.findIndex(
            (guid, at) =>
              guid === which ||
              this.blockDevices[at]?.name === which ||
              deviceName(this.config, at) === which ||
              // A missing device by what it was, as status says it.
              (this.blockDevices[at] === undefined && which !== '' && this.config.devicePaths?.[at] === which),
          );
    if (index < 0) throw new PoolError(this.name, 'no-such-device', `no device of the pool is ${JSON.stringify(which)}`);
    return index;
  }

  /** Refuses a device that cannot replace one of this pool's: too small, of another sector size, or another pool's. */
  private async checkReplacement(device: BlockDevice): Promise<void> {
    if (this.blockDevices.includes(device) || this.blockDevices.some((each) => each?.name === device.name))
      throw new PoolError(this.name, 'in-use', `${device.name} is a device of the pool already`);
    if (device.sectorBytes !== this.config.sectorBytes)
      throw new PoolError(this.name, 'bad-device', `${device.name} has ${device.sectorBytes}-byte sectors, the pool ${this.config.sectorBytes}`);
    let dataEndBytes: number;
    try {
      dataEndBytes = labelOffsets(device.sizeBytes)[2];
    } catch {
      dataEndBytes = 0;
    }
    if (dataEndBytes < this.config.dataEndBytes)
      throw new PoolError(this.name, 'bad-device', `${device.name} (${device.sizeBytes} bytes) is smaller than the pool's devices`);
    // A device whose labels name this pool with a guid it no longer has is a replace cut short: it may be taken again.
    for (const config of (await readLabels(device)).configs) {
      if (config.poolGuid !== this.guid) throw new PoolError(this.name, 'in-use', `${device.name} is part of pool ${config.poolName} (${config.poolGuid})`);
      if (this.config.deviceGuids.includes(config.deviceGuids[config.deviceIndex]!))
        throw new PoolError(this.name, 'in-use', `${device.name} is a device of the pool already`);
    }
  }

  /** The devices a commit writes its uberblock to: present, and missing no block of the tree (see `PoolBlockIo.staleSides`). */
  private committingSides(): { readonly index: number; readonly ref: ActorRef<PoolDeviceMsg>; readonly sizeBytes: number }[] {
    const stale = this.io.staleSides;
    return this.devices.flatMap((device, index) =>
      device === undefined || stale.has(index) || this.labelsBehind.has(index)
        ? []
        : [{ index, ref: device.ref, sizeBytes: this.blockDevices[index]!.sizeBytes }],
    );
  }

  /** Runs `write` on every device that commits take (present, and missing no block), as label-io's writer. */
  private async eachLabel(write: (side: { readonly index: number; readonly writer: LabelWriter }) => Promise<void>): Promise<void> {
    const sides = this.committingSides();
    const kept = await this.succeeding(sides, (side) => write({ index: side.index, writer: throughActor(side.ref, side.sizeBytes) }), 'relabel');
    // A device whose labels did not take the new configuration must not take uberblocks of it: they
    // would name a device set its labels do not. It imports later as one behind, and is resilvered.
    for (const side of sides) if (!kept.includes(side)) this.labelsBehind.add(side.index);
  }

  /**
   * Walks every block of the pool, calling `visit` on each (one turn: the caller runs it in its own),
   * and keeps the scan's progress and result for the status.
   */
  private async walkBlocks(
    kind: 'scrub' | 'resilver',
    onProgress: ((progress: ScrubProgress) => void) | undefined,
    visit: (pointer: BlockPointer) => Promise<{ repairedCopies: number; repairedBytes: number; unrecoverable: boolean }>,
  ): Promise<ScrubResult> {
    const set = this.set;
    if (set === null) throw new PoolError(this.name, 'suspended', 'the pool is not loaded');
    const startedMs = this.storage.now();
    const totalBytes = this.space.usedBytes;
    let examinedBytes = 0;
    let blocks = 0;
    let repairedCopies = 0;
    let repairedBytes = 0;
    let unrecoverableBlocks = 0;
    let complete = true;
    const previous = this.scan;
    this.scan = { state: 'scrubbing', kind, examinedBytes, totalBytes };
    try {
      for await (const pointer of set.pointers(this.io)) {
        const visited = await visit(pointer);
        blocks++;
        examinedBytes += pointer.addresses.reduce((sum, address) => sum + address.allocatedBytes, 0);
        repairedCopies += visited.repairedCopies;
        repairedBytes += visited.repairedBytes;
        if (visited.unrecoverable) unrecoverableBlocks++;
        const progress = { examinedBytes: Math.min(examinedBytes, totalBytes), totalBytes };
        this.scan = { state: 'scrubbing', kind, ...progress };
        onProgress?.(progress);
      }
    } catch (error) {
      // The walk reads the tree's metadata to find the blocks below it: one no copy of which
      // verifies (counted above) ends the walk there.
      if (!(error instanceof ChecksumError)) {
        this.scan = previous;
        throw error;
      }
      complete = false;
    }
    const result = { kind, blocks, examinedBytes, repairedCopies, repairedBytes, unrecoverableBlocks, complete, durationMs: this.storage.now() - startedMs };
    this.scan = { state: 'finished', ...result };
    return result;
  }

  /** Keeps a finished scan's result with the pool, from its next commit on, for a later import to report (as ZFS keeps it). */
  private recordScan(result: ScrubResult): void {
    this.set?.recordScan(result);
  }

  async export(): Promise<void> {
    let failure: unknown = null;
    // The commit and the close in one turn: a change asked after export() began is refused, not lost.
    await this.closeDevices(async () => {
      if (this.suspended !== null) return;
      try {
        await this.sync();
      } catch (error) {
        failure = error;
      }
    });
    this.releaseName();
    if (failure !== null) throw failure;
    if (this.suspended !== null && !this.suspensionReported) {
      this.suspensionReported = true;
      throw new PoolError(this.name, 'suspended', `${this.suspended}: the changes after group ${this.committedTxg} are lost`, { cause: this.syncFailure });
    }
  }

  abandon(): Promise<void> {
    return this.close();
  }

  /** The kernel stopped, and its device actors and its own with it: the pool stops committing on its own. */
  halt(): void {
    this.closed = true;
    this.actor = null;
    this.syncer = null;
    this.ended = true;
    if (this.commitTimer !== null) this.storage.cancelTimer(this.commitTimer);
    this.commitTimer = null;
  }

  async destroy(): Promise<void> {
    await this.closeDevices();
    try {
      for (const device of this.blockDevices) if (device !== undefined) await clearLabels(device);
    } finally {
      // Only now may another pool of its name be opened: its labels are gone (or the wipe failed, and says so).
      this.releaseName();
    }
  }

  /** Closes the device actors, after the operations queued. */
  async close(): Promise<void> {
    await this.closeDevices();
    this.releaseName();
  }

  /**
   * Stops the commits and takes no more operations; then, after the operations asked before, runs
   * `last` (an export's commit) and closes the device actors.
   */
  private async closeDevices(last?: () => Promise<void>): Promise<void> {
    this.closed = true;
    if (this.commitTimer !== null) this.storage.cancelTimer(this.commitTimer);
    this.commitTimer = null;
    const closing = this.run(async () => {
      await last?.();
      // A group still syncing finishes (or fails) before its devices close.
      await this.syncing?.done;
      await Promise.all(this.devices.map((device) => device?.close()));
    });
    this.closing = true;
    await closing;
    // Every operation asked before has run: the actors go, and an operation asked after fails.
    const actor = this.actor;
    this.actor = null;
    this.syncer = null;
    this.ended = true;
    if (actor !== null) await this.storage.stopPoolActor(this.name);
  }

  /**
   * Gives the pool's name back, once its devices are closed. Only a started pool holds it; a
   * candidate of an import leaves it to the import.
   */
  private releaseName(): void {
    if (!this.started) return;
    this.started = false;
    this.storage.poolClosed(this.name);
  }

  /**
   * Runs `operation` after every operation called before it: in the pool's actor once the pool has
   * started, before that (while it is created or imported) in a queue of its own.
   */
  private run<T>(operation: () => Promise<T>): Promise<T> {
    return this.reported(this.enqueue(operation));
  }

  /** `work`, noting that its failure told its caller of the suspension, if the pool is suspended. */
  private reported<T>(work: Promise<T>): Promise<T> {
    return work.catch((error: unknown) => {
      if (this.suspended !== null) this.suspensionReported = true;
      throw error;
    });
  }

  /** `run` for the pool's own operations, whose failures no caller sees. */
  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closing || this.ended)
      return Promise.reject(new PoolError(this.name, 'closed', 'the pool was exported, destroyed or abandoned, or its kernel stopped: import it again'));
    const turn = () => {
      this.takeBackDurable();
      return operation();
    };
    if (this.actor !== null) return this.actor.ask({ type: 'run', operation: turn }, { deadlineMs: poolOperationDeadlineMs }) as Promise<T>;
    const result = this.queue.then(turn);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Runs a change, refused once the pool is suspended, or with `PoolFullError` when it could take
   * more than `mostBytes` the free space has beside what the changes since the last commit will
   * take: a commit must never run out of room, since one that fails part way suspends the pool. What
   * the change will take is then counted from the data blocks it dirtied (`costOf`, given their
   * bytes), so a block changed again costs nothing more. The room kept back (`roomReservedBytes`) is
   * for the metadata of a commit; `useReserve` lets a change that gives room back use it too. A
   * change that leaves more changed data than `dirtyBytesMax` commits before it resolves (outside a
   * turn): the writer waits for the devices.
   */
  private async changing<T>(
    mostBytes: number,
    useReserve: boolean,
    dataBlockBytes: number,
    change: () => Promise<T>,
    costOf: (dirtiedBytes: number) => number,
  ): Promise<T> {
    if (this.suspended !== null) throw new PoolError(this.name, 'suspended', this.suspended);
    // Room is what blocks as large as the largest the commit will write are sure to find: holes
    // between blocks too small for it do not count (see `SpaceMap.roomFor`).
    const largestBytes = Math.max(this.pendingLargestBytes, this.allocatedBytesOf(Math.max(dataBlockBytes, metadataBlockBytesMax)));
    // A commit's allocations start from the cursor and from each further copy's place: each may cut
    // an extent once, leaving a piece too short before it (see `SpaceMap.roomFor`).
    const cutsBytes = (copiesMax + 1) * largestBytes;
    const room = () => this.space.roomFor(largestBytes) - cutsBytes - this.pendingCostBytes - (useReserve ? 0 : this.roomReservedBytes);
    // The space the group syncing gives back (what was freed two groups before it) comes once it is
    // durable: short of room, the change waits for that rather than be refused.
    if (mostBytes > room() && this.writtenTxg > this.committedTxg) {
      await this.durable(this.writtenTxg);
      this.takeBackDurable();
    }
    // Space freed lately comes back once later groups are committed: with nothing else changed,
    // commit empty groups for it (ZFS's syncing of frees) rather than refuse.
    for (let round = 0; mostBytes > room() && round <= rewindTxgs && this.io.freesDeferred && this.set !== null && !this.set.dirty; round++)
      await this.sync(true);
    if (mostBytes > room()) throw new PoolFullError(mostBytes, Math.max(0, room()));
    const before = this.set?.dirtyBytes ?? 0;
    const parentsBefore = this.set?.dirtyParentCount ?? 0;
    const result = await change();
    // The data blocks it dirtied, and the indirect blocks above them that no change before had dirtied.
    const parents = Math.max(0, (this.set?.dirtyParentCount ?? 0) - parentsBefore);
    this.pendingCostBytes += Math.ceil(costOf((this.set?.dirtyBytes ?? 0) - before)) + parents * this.parentCostBytes;
    this.pendingLargestBytes = largestBytes;
    if (!this.inTurn && (this.set?.dirtyBytes ?? 0) > this.dirtyBytesMax) await this.writeGroup();
    return result;
  }

  /**
   * Runs `step` on every side and returns those it succeeded on; at least the top-level device's
   * `childrenNeeded` must (one side of a mirror, all but the parity of RAID-Z): the pool goes on
   * without a failing device, as ZFS does, and resilvers it later.
   */
  private async succeeding<T>(sides: readonly T[], step: (side: T) => Promise<unknown>, what: string): Promise<T[]> {
    const outcomes = await Promise.allSettled(sides.map(step));
    const kept = sides.filter((_, index) => outcomes[index]!.status === 'fulfilled');
    if (kept.length >= this.vdev.childrenNeeded) return kept;
    const failure = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult | undefined;
    throw (
      failure?.reason ??
      new PoolError(
        this.name,
        'suspended',
        `only ${kept.length} device(s) took every block of the group, too few to ${what} (${this.vdev.childrenNeeded} needed)`,
      )
    );
  }
}

/** A device actor seen as the block device label-io writes to: its writes and flushes go through the actor. */
function throughActor(ref: ActorRef<PoolDeviceMsg>, sizeBytes: number): Pick<BlockDevice, 'sizeBytes' | 'write' | 'flush'> {
  return {
    sizeBytes,
    write: async (offsetBytes, data) => {
      await ref.ask({ type: 'write', offsetBytes, data }, deviceRequest);
    },
    flush: async () => {
      await ref.ask({ type: 'flush' }, deviceRequest);
    },
  };
}
