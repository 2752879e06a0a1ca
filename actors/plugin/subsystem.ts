/**
 * The plug-in contract of a kernel subsystem. A subsystem is a value: its name, what it starts on
 * each CPU (the children under its supervisor, the cross-CPU frame types it handles, what it adds
 * to the kernel's status) and the handle user code reaches it by. `Kernel.boot({ subsystems })`
 * starts exactly the subsystems it is given, in order, each under a supervisor `kernel.<name>`
 * below the kernel's root; adding one is writing its folder and one entry in that list.
 *
 * @example
 * ```ts
 * // actors/clock-tower/subsystem.ts
 * export const clockTower = defineSubsystem({
 *   name: 'clock-tower',
 *   module: import.meta.url,
 *   frames: [chimeFrame],
 *   start: (host) => {
 *     const tower = new ClockTower(host.kernel);
 *     return { handle: () => tower, children: [{ id: 'bell', start: tower.bell() }] };
 *   },
 * });
 * const kernel = await Kernel.boot({ subsystems: [...defaultSubsystems, clockTower] });
 * kernel.subsystem(clockTower).ring();
 * ```
 */
import type { KernelCore } from '../runtime/kernel-core.js';
import type { ActorRef } from '../runtime/ref.js';
import type { CpuStateView } from '../sched/cpu-state.js';
import type { ChildSpec } from '../../supervisors/child-spec.js';
import type { SupervisorMsg } from '../../supervisors/supervisor.js';
import type { FrameRouting, FrameType } from '../cpu/frame-registry.js';
import type { AnyFaultKind } from './fault-kind.js';

/** How a subsystem's supervisor restarts its children (OTP's intensity and period). */
export interface SupervisionLimits {
  /** More than this many restarts within `restartWindowMs` and the supervisor gives up (default 3). */
  readonly restartsMax: number;
  readonly restartWindowMs: number;
}

/** What a subsystem gets from boot on each CPU. */
export interface SubsystemHost<TOptions = undefined> {
  /** The kernel core of the CPU it starts on: its clock and random drivers among the rest. */
  readonly kernel: KernelCore;
  /** Its options, as `configure` set them (the same on every CPU). */
  readonly options: TOptions;
  /** That CPU's scheduler state (running, idle-polling, parked), read only. */
  readonly cpuState: CpuStateView;
  /** The routing to the other CPUs, for the subsystem's own frames; null on a one-CPU kernel. */
  readonly routing: FrameRouting | null;
  /** Its own supervisor (`kernel.<name>`), once the tree has started: for children started later. */
  supervisor(): ActorRef<SupervisorMsg>;
}

/** What a subsystem starts on one CPU. */
export interface SubsystemParts<THandle> {
  /** What `kernel.subsystem(it)` returns; asked on each call, so it may follow restarts. */
  readonly handle: () => THandle;
  /** The static children of its supervisor, started in order (OTP child specs). */
  readonly children?: readonly ChildSpec<never>[];
  /** What it adds to `kernel.status()`, under its name: plain data (it crosses CPUs). */
  status?(): unknown;
}

/** A subsystem, as `Kernel.boot({ subsystems })` takes it. */
export interface Subsystem<THandle, TOptions = undefined> {
  /** Its name: its supervisor is `kernel.<name>`, its status appears under it. Lower case, digits and `-`. */
  readonly name: string;
  /**
   * The module that exports it (`import.meta.url`): worker CPUs import it to boot the same list, so
   * a subsystem must be exported by its module, as boot modules' behaviours are.
   */
  readonly module: string;
  /** Its supervisor's restart limits (default 3 restarts in 5 s). */
  readonly supervision?: SupervisionLimits;
  /**
   * The cross-CPU frame types it sends and handles (see actors/cpu/frame-registry.ts): registered
   * on every CPU, in boot order, before the CPU's rings are mapped.
   */
  readonly frames?: readonly FrameType[];
  /** The faults a simulation may inject into it (see fault-kind.ts); a scenario turns them on by name. */
  readonly faultKinds?: readonly AnyFaultKind[];
  /**
   * Its options: plain data (worker CPUs get a copy, by `postMessage`), its defaults as defined,
   * others given with `configure`. `start` reads them as `host.options`.
   */
  readonly options: TOptions;
  /**
   * Prepares its options for one boot of a kernel of `machine.cpus` CPUs: called once, on the thread
   * that boots, before any CPU starts; every CPU then starts with what it returns. The place to
   * allocate memory the CPUs share: a SharedArrayBuffer in the options reaches every CPU as the same
   * memory (worker CPUs get the options by postMessage, which shares such buffers, never copies).
   * `machine.threaded`: the CPUs run on threads of their own (worker CPUs). When false, every CPU
   * runs on the booting thread, and a plain ArrayBuffer serves them all: prefer it then, as V8
   * collects ArrayBuffers as they add up, and SharedArrayBuffers only when something else makes
   * it collect (400 dropped buffers of 64 MiB held 24 GB committed, against 1.2 GB).
   */
  prepare?(options: TOptions, machine: MachineShape): TOptions;
  /** Starts it on one CPU, before that CPU's tree starts; called once per CPU and incarnation of the kernel. */
  start(host: SubsystemHost<TOptions>): SubsystemParts<THandle>;
}

/** The machine a subsystem's `prepare` prepares for. */
export interface MachineShape {
  readonly cpus: number;
  /** The CPUs run on threads of their own (worker CPUs), so memory they share must be a SharedArrayBuffer. */
  readonly threaded: boolean;
}

/** Any subsystem, whatever its handle and options. */
// biome-ignore lint/suspicious/noExplicitAny: a list of subsystems holds each with its own options type.
export type AnySubsystem = Subsystem<unknown, any>;

/** The part of a booted kernel that subsystem helpers take: its subsystems and its shutdown. */
export interface KernelHandle {
  /** The handle of `subsystem` (found by name); throws SubsystemNotBootedError if this kernel did not boot it. */
  subsystem<THandle, TOptions>(subsystem: Subsystem<THandle, TOptions>): THandle;
  /** Stops the whole kernel gracefully. */
  shutdown(): Promise<void>;
}

const subsystemName = /^[a-z][a-z0-9-]{0,31}$/;

/** Whether `name` can name a subsystem: lower case, digits and `-`, 1 to 32 characters, a letter first. */
export function isSubsystemName(name: unknown): name is string {
  return typeof name === 'string' && subsystemName.test(name);
}

/** A subsystem's definition: options may be left out when it has none. */
export type SubsystemDefinition<THandle, TOptions> = Omit<Subsystem<THandle, TOptions>, 'options'> &
  (undefined extends TOptions ? { readonly options?: TOptions } : { readonly options: TOptions });

/** Checks and returns a subsystem (a name that can be a registered name, and a module URL). */
export function defineSubsystem<THandle, TOptions = undefined>(definition: SubsystemDefinition<THandle, TOptions>): Subsystem<THandle, TOptions> {
  if (!isSubsystemName(definition.name)) throw new TypeError(`subsystem name '${definition.name}' must match ${subsystemName.source}`);
  if (!definition.module.startsWith('file:') && !definition.module.startsWith('data:')) {
    throw new TypeError(`subsystem '${definition.name}': module must be the URL of the module that exports it (import.meta.url), got '${definition.module}'`);
  }
  return Object.freeze({ ...definition, options: definition.options as TOptions });
}

/**
 * The same subsystem with other options: what to list in `Kernel.boot({ subsystems })`. The worker
 * CPUs import the subsystem from its module and apply the same options.
 *
 * @example
 * ```ts
 * const kernel = await Kernel.boot({ subsystems: [...defaultSubsystems, configure(cache, { sizeMb: 64 })] });
 * kernel.subsystem(cache); // found by name: the configured one
 * ```
 */
export function configure<THandle, TOptions>(subsystem: Subsystem<THandle, TOptions>, options: TOptions): Subsystem<THandle, TOptions> {
  return Object.freeze({ ...subsystem, options });
}
