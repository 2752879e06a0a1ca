/**
 * The `zfs` subsystem's handle on one CPU: it opens block devices as device actors under the
 * subsystem's supervisor (`kernel.zfs`), which restarts one that crashes (what it was asked is kept
 * across the restart: the asks in flight are answered), and reports their status with the kernel's.
 * Each open pool runs as an actor beside its devices' (pool-actor.ts).
 *
 * @example
 * ```ts
 * const kernel = await Kernel.boot({ subsystems: [...defaultSubsystems, storage] });
 * const disk0 = await kernel.subsystem(storage).openDevice(await createFileDevice('pool/disk0'), { name: 'disk0' });
 * await disk0.ref.ask({ type: 'write', offsetBytes: 0, data: sector });
 * kernel.status().subsystems.zfs; // { devices: { disk0: { state: 'online', readErrors: 0, ... } }, pools: {} }
 * ```
 */
import type { BlockDevice } from '../../drivers/block/block-device.js';
import type { TimerHandle } from '../../drivers/clock/clock.js';
import type { Random } from '../../drivers/random/random.js';
import { NameTakenError } from '../../ground/errors.js';
import type { InterruptController } from '../irq/controller.js';
import { interrupts } from '../irq/subsystem.js';
import type { SubsystemHost } from '../plugin/subsystem.js';
import type { ActorRef } from '../runtime/ref.js';
import { openPoolDevice, type PoolDevice, type PoolDeviceMsg, type PoolDeviceStatus } from './device-actor.js';
import { type PoolActorMsg, poolActorBehavior, poolMailboxCapacity, syncMailboxCapacity } from './pool-actor.js';
import { datasetActorBehavior, type DatasetMsg, type ServedDataset } from './dataset-actor.js';
import type { Dataset } from './dataset.js';
import { PoolError } from './pool-api.js';
import type { Behavior } from '../runtime/behavior.js';
import type { SpawnOptions } from '../runtime/spawn-options.js';
import type { Message } from '../../ground/message.js';

/** What the subsystem adds to `kernel.status()`: each open device's status and each open pool's, by name. */
export interface StorageStatus {
  readonly devices: Readonly<Record<string, Omit<PoolDeviceStatus, 'name'>>>;
  readonly pools: Readonly<Record<string, PoolSummary>>;
}

/** An open pool, as the subsystem keeps it: its status, and a stop for when the kernel stops. */
interface OpenPoolEntry {
  status(): Omit<PoolSummary, 'devices'> & {
    readonly devices: readonly (Pick<PoolDeviceSummary, 'name' | 'state'> & Partial<PoolDeviceSummary>)[];
  };
  /** The kernel stopped: no more commits (what was not committed is lost, as in a crash). */
  halt(): void;
}

/** What the status shows of an open pool (its devices are under `devices`). */
export interface PoolSummary {
  readonly state: 'online' | 'degraded';
  readonly layout: string;
  readonly txg: number;
  readonly txgState: string;
  readonly usedBytes: number;
  readonly freeBytes: number;
  readonly repaired: number;
  /** Its devices in its configuration's order, as `zpool status` lists them: `missing` where none was found. */
  readonly devices: readonly PoolDeviceSummary[];
}

/** A pool's device as its summary shows it. */
export interface PoolDeviceSummary {
  readonly name: string;
  readonly state: string;
  readonly readErrors: number;
  readonly writeErrors: number;
  readonly checksumErrors: number;
  /** A missing device's file, as its labels last named it (zpool's `was`). */
  readonly was?: string;
}

export class Storage {
  private readonly devices = new Map<string, PoolDevice>();
  /** Names being opened: taken before the first await, so two opens of one name cannot both pass. */
  private readonly opening = new Set<string>();
  private guids: Random | null = null;
  /** The datasets served as actors (their supervisor child ids), by the name of their pool. */
  private readonly datasets = new Map<string, Set<string>>();
  /** Pools open here, by name: null while one is being created or imported. */
  private readonly pools = new Map<string, OpenPoolEntry | null>();

  constructor(private readonly host: SubsystemHost) {
    // A kernel that stops takes the device actors with it: the pools still open stop committing
    // (their commit timers would otherwise hold the process up to a commit interval).
    host.kernel.whenStopped.then(() => {
      for (const pool of this.pools.values()) pool?.halt();
    });
  }

  /**
   * Takes `name` for a pool being created or imported; false when a pool of that name is open or
   * opening here already (ZFS refuses a second pool of one name too).
   */
  reservePool(name: string): boolean {
    if (this.pools.has(name)) return false;
    this.pools.set(name, null);
    return true;
  }

  /** The pool reserved as `name` is open: its status shows with the subsystem's. */
  poolOpened(name: string, pool: OpenPoolEntry): void {
    this.pools.set(name, pool);
  }

  /** The pool `name` closed, or never opened: the name is free again, and the datasets served from it stop. */
  poolClosed(name: string): void {
    this.pools.delete(name);
    const served = this.datasets.get(name);
    this.datasets.delete(name);
    // Their calls would fail with the pool closed: the actors go (a kernel stopping takes them anyway).
    for (const id of served ?? []) this.stopChild(id).catch(() => undefined);
  }

  /** The kernel's random stream for storage (pool and device guids): seeded in a simulated run. */
  get random(): Random {
    return (this.guids ??= this.host.kernel.random.stream('zfs.guids'));
  }

  /** The kernel's clock, in ms: an uberblock's timestamp. */
  now(): number {
    return this.host.kernel.clock.now();
  }

  /** Calls `callback` after `delayMs` on the kernel's clock (a pool's commit interval); returns what `cancelTimer` takes. */
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    return this.host.kernel.clock.setTimer(delayMs, callback);
  }

  cancelTimer(handle: TimerHandle): void {
    this.host.kernel.clock.cancelTimer(handle);
  }

  /** Opens `device` as the device actor `kernel.zfs.device.<name>`; names are unique on a CPU. */
  async openDevice(device: BlockDevice, options: { readonly name: string }): Promise<PoolDevice> {
    const name = options.name;
    if (this.devices.has(name) || this.opening.has(name)) throw new NameTakenError(`kernel.zfs.device.${name}`);
    this.opening.add(name);
    try {
      return await this.open(device, name);
    } finally {
      this.opening.delete(name);
    }
  }

  private async open(device: BlockDevice, name: string): Promise<PoolDevice> {
    const supervisor = this.host.supervisor();
    const kernel = this.host.kernel;
    const opened = await openPoolDevice(
      {
        irq: kernel.subsystemHandle(interrupts.name) as InterruptController,
        spawn: async (behavior) =>
          (await supervisor.ask({
            type: 'start-child',
            spec: { id: `device-${name}`, start: behavior, restart: 'permanent', options: { name: `kernel.zfs.device.${name}` } },
          })) as unknown as ActorRef<PoolDeviceMsg>,
        stop: async () => {
          await supervisor.ask({ type: 'terminate-child', id: `device-${name}` });
          await supervisor.ask({ type: 'delete-child', id: `device-${name}` });
        },
      },
      device,
      { name },
    );
    const handle: PoolDevice = {
      ...opened,
      close: async () => {
        await opened.close();
        this.devices.delete(name);
      },
    };
    this.devices.set(name, handle);
    return handle;
  }

  /** Starts pool `name`'s actor, `kernel.zfs.pool.<name>`, under the supervisor (see pool-actor.ts). */
  startPoolActor(name: string): Promise<ActorRef<PoolActorMsg>> {
    return this.startChild(`pool-${name}`, poolActorBehavior(name, 'pool'), { name: `kernel.zfs.pool.${name}`, mailboxCapacity: poolMailboxCapacity });
  }

  /** Starts pool `name`'s sync actor, `kernel.zfs.sync.<name>`, under the supervisor (see pool-actor.ts). */
  startSyncActor(name: string): Promise<ActorRef<PoolActorMsg>> {
    return this.startChild(`sync-${name}`, poolActorBehavior(name, 'sync'), { name: `kernel.zfs.sync.${name}`, mailboxCapacity: syncMailboxCapacity });
  }

  /** Stops pool `name`'s actors, once the pool has closed. */
  async stopPoolActor(name: string): Promise<void> {
    await this.stopChild(`pool-${name}`);
    await this.stopChild(`sync-${name}`);
  }

  /** Serves `dataset` as the actor `name` under the supervisor (see dataset-actor.ts), until stopped or its pool closes. */
  async serveDataset(dataset: Dataset, name: string): Promise<ServedDataset> {
    const pool = dataset.pool.name;
    const open = () => this.pools.get(pool) === (dataset.pool as unknown as OpenPoolEntry);
    if (!open()) throw new PoolError(pool, 'closed', 'the pool is not open here: a dataset of it cannot be served');
    const id = `dataset-${name}`;
    const ref = await this.startChild<DatasetMsg>(id, datasetActorBehavior(dataset), { name });
    // The pool closed while the actor started: nothing would stop it.
    if (!open()) {
      await this.stopChild(id);
      throw new PoolError(pool, 'closed', 'the pool closed while its dataset was being served');
    }
    const served = this.datasets.get(pool) ?? new Set<string>();
    served.add(id);
    this.datasets.set(pool, served);
    let stopping: Promise<void> | null = null;
    return {
      ref,
      stop: () =>
        (stopping ??= (async () => {
          if (!this.datasets.get(pool)?.delete(id)) return;
          await this.stopChild(id);
        })()),
    };
  }

  private async startChild<M extends Message>(id: string, behavior: Behavior<M>, options: SpawnOptions<void>): Promise<ActorRef<M>> {
    return (await this.host.supervisor().ask({ type: 'start-child', spec: { id, start: behavior, restart: 'permanent', options } })) as unknown as ActorRef<M>;
  }

  private async stopChild(id: string): Promise<void> {
    const supervisor = this.host.supervisor();
    await supervisor.ask({ type: 'terminate-child', id });
    await supervisor.ask({ type: 'delete-child', id });
  }

  /** The open devices, by name. */
  openDevices(): ReadonlyMap<string, PoolDevice> {
    return this.devices;
  }

  status(): StorageStatus {
    const devices: Record<string, Omit<PoolDeviceStatus, 'name'>> = {};
    for (const [name, device] of this.devices) {
      const { name: _, ...rest } = device.status();
      devices[name] = rest;
    }
    const pools: Record<string, PoolSummary> = {};
    for (const [name, pool] of this.pools) {
      if (pool === null) continue;
      const { state, layout, txg, txgState, usedBytes, freeBytes, repaired, devices } = pool.status();
      pools[name] = {
        state,
        layout,
        txg,
        txgState,
        usedBytes,
        freeBytes,
        repaired,
        devices: devices.map((device) => ({
          name: device.name,
          state: device.state,
          readErrors: device.readErrors ?? 0,
          writeErrors: device.writeErrors ?? 0,
          checksumErrors: device.checksumErrors ?? 0,
          ...(device.was === undefined ? {} : { was: device.was }),
        })),
      };
    }
    return { devices, pools };
  }
}
