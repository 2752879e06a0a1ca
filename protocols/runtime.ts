/**
 * The runtime's own frames between CPUs (worker threads): an actor message in an envelope, the
 * reply to an ask, spawns and migrations, and the supervision signals stop, down and exit, with
 * monitors, links, names and status across CPUs, and what the other CPUs report to CPU 0 (their
 * failures, dead letters and trace events). Subsystems declare their frames in their own
 * protocol files (protocols/irq.ts) and register them with the routing (actors/cpu/frame-registry.ts).
 *
 * Pids are non-negative safe integers (see `ground/pid.ts`); 0 means "no actor", e.g. a
 * message sent from outside any actor. Ask ids are integers; 0 marks a tell.
 */
import { assert } from '../ground/assert.js';
import { structureCountMax } from './limits.js';
import { createSchemaRegistry, defineMessage } from './schema.js';
import type { MessageOf } from './schema.js';

export const KERNEL_ENVELOPE = 'kernel.envelope' as const;
export const KERNEL_REPLY = 'kernel.reply' as const;
export const KERNEL_STOP = 'kernel.stop' as const;
export const KERNEL_DOWN = 'kernel.down' as const;
export const KERNEL_EXIT = 'kernel.exit' as const;
export const KERNEL_SPAWN = 'kernel.spawn' as const;
export const KERNEL_SPAWNED = 'kernel.spawned' as const;
export const KERNEL_STRUCTURES = 'kernel.structures' as const;
export const KERNEL_MIGRATE = 'kernel.migrate' as const;
export const KERNEL_MONITOR = 'kernel.monitor' as const;
export const KERNEL_LINK = 'kernel.link' as const;
export const KERNEL_NAME = 'kernel.name' as const;
export const KERNEL_UNLINK = 'kernel.unlink' as const;
export const KERNEL_STATUS_REQUEST = 'kernel.status-request' as const;
export const KERNEL_STATUS = 'kernel.status' as const;
export const KERNEL_OBSERVE = 'kernel.observe' as const;
export const KERNEL_REPORTS = 'kernel.reports' as const;
export const KERNEL_FENCE = 'kernel.fence' as const;
export const KERNEL_FENCED = 'kernel.fenced' as const;
export const KERNEL_RELOCATED = 'kernel.relocated' as const;
export const KERNEL_SWEEP = 'kernel.sweep' as const;
export const KERNEL_SWEPT = 'kernel.swept' as const;
export const KERNEL_MACHINE_REQUEST = 'kernel.machine-request' as const;
export const KERNEL_MACHINE = 'kernel.machine' as const;

/** A user message for actor `to`; `from` is 0 outside any actor, `askId` is 0 for a tell. */
export const kernelEnvelope = defineMessage(KERNEL_ENVELOPE, { to: 'pid', from: 'pid', askId: 'integer', body: 'any' });
/** The answer to ask `askId`, for the asking actor `to`; `ok: false` carries a failure as `body`. */
export const kernelReply = defineMessage(KERNEL_REPLY, { askId: 'integer', to: 'pid', ok: 'boolean', body: 'any' });
/** Asks actor `to` to stop. */
export const kernelStop = defineMessage(KERNEL_STOP, { to: 'pid', reason: 'any' });
/**
 * Tells the receiving CPU that the incarnation its actors monitor of `pid` (an actor of the sending
 * CPU, as the receiver knows it) ended, with the exit reason (plain data); `gone` when the actor
 * stopped for good, not when it died and awaits a restart in place. `watcher` is 0 (the CPU, not one actor).
 */
export const kernelDown = defineMessage(KERNEL_DOWN, { watcher: 'pid', pid: 'pid', reason: 'any', gone: 'boolean' });
/**
 * An exit signal for actor `to` from `from` (an actor of the sending CPU, or 0 from outside any
 * actor), with its reason (plain data): from a linked actor that ended (`linked`), or `exit(ref, reason)`.
 */
export const kernelExit = defineMessage(KERNEL_EXIT, { to: 'pid', from: 'pid', reason: 'any', linked: 'boolean' });

/**
 * Spawns an actor of behaviour `exportName` from boot module number `module` on the receiving CPU.
 * `ticket` (spawner-local) names the answer; `options` are the spawn options (plain data).
 */
export const kernelSpawn = defineMessage(KERNEL_SPAWN, { ticket: 'integer', module: 'integer', exportName: 'string', options: 'any' });
/** The answer to `kernel.spawn` `ticket`: the new actor's pid, or 0 and an `error` description. */
export const kernelSpawned = defineMessage(KERNEL_SPAWNED, { ticket: 'integer', pid: 'pid', error: 'string' });
/**
 * The sender's record structures (its codec's `exportStructures()`), sent in the same ring before
 * the first frame that uses a new one, so the receiver imports them in time.
 */
export const kernelStructures = defineMessage(KERNEL_STRUCTURES, { list: 'any' });
/**
 * Moves actor `from` (a pid of the sending CPU) to the receiving CPU: its behaviour (as in
 * `kernel.spawn`), its own fields `state`, its decayed runtime R (exported, CPU-independent) and the
 * messages of its mailbox in order (`origins[i]`: the sender's pid, 0, or −askId of an ask the
 * sending CPU waits on; `deadlines[i]`: the ms such an ask has left, 0 for a tell). Answered with `kernel.spawned` for `ticket`. `aliases` are the pids it had
 * before `from`, on any CPU: mail addressed to them still finds it (see actors/cpu/forwarding.ts);
 * `moves` counts its moves, this one included, so that CPUs tell a newer whereabouts from an older.
 */
export const kernelMigrate = defineMessage(KERNEL_MIGRATE, {
  ticket: 'integer',
  from: 'pid',
  aliases: 'any',
  module: 'integer',
  exportName: 'string',
  options: 'any',
  state: 'any',
  runtime: 'number',
  bodies: 'any',
  origins: 'any',
  deadlines: 'any',
  moves: 'integer',
});

/**
 * Follows the mail of the actor `to` (as the receiver knows it: its pid there, or the pid a stand-in
 * of the sender addresses) along its forwarding route, behind every message sent down that route
 * before it. Where it finds the actor (or finds it gone), that CPU answers CPU `origin` with
 * `kernel.fenced`: what `origin` sent down that route has arrived, so its mail may now take a
 * shorter one (see actors/cpu/forwarding.ts).
 */
export const kernelFence = defineMessage(KERNEL_FENCE, { to: 'pid', origin: 'integer', serial: 'integer' });
/**
 * Fence `serial` reached its actor on the sending CPU, where it is `pid` after `moves` moves (0 and
 * 0: it found the actor gone): the old route is drained.
 */
export const kernelFenced = defineMessage(KERNEL_FENCED, { serial: 'integer', pid: 'pid', moves: 'integer' });
/**
 * An actor that had the pids `aliases` arrived on the sending CPU, where it is `pid` after `moves`
 * moves: routes and refs of the receiver that lead to those pids may switch to it (forwarding.ts).
 */
export const kernelRelocated = defineMessage(KERNEL_RELOCATED, { aliases: 'any', pid: 'pid', moves: 'integer' });
/**
 * Asks the receiving CPU to answer `kernel.swept` with the same `serial` once the mail the sender
 * sent it before this has arrived where it goes: taken in there, or passed on along its routes and
 * arrived at their ends (a fence follows each). An actor that sent it mail waits for the answer
 * before it moves (see actors/cpu/move-sweeps.ts).
 */
export const kernelSweep = defineMessage(KERNEL_SWEEP, { serial: 'integer' });
/** Sweep number `sweep` is done on the sending CPU. (Its own field name: each kernel message has its own record shape.) */
export const kernelSwept = defineMessage(KERNEL_SWEPT, { sweep: 'integer' });

/**
 * Asks the receiving CPU to tell the sender, with `kernel.down`, when its actor `pid` stops (at
 * once, reason `noproc`, if it is gone already): the sender has actors monitoring it.
 */
export const kernelMonitor = defineMessage(KERNEL_MONITOR, { pid: 'pid' });

/** Links actor `from` of the sending CPU with actor `to` of the receiving one (answered with `kernel.exit`, reason `noproc`, if `to` is gone). */
export const kernelLink = defineMessage(KERNEL_LINK, { from: 'pid', to: 'pid' });

/**
 * Ends the link between actor `from` of the sending CPU and actor `to` of the receiving one. (Its
 * fields are in the other order from `kernel.link`'s, so that each message type keeps a record
 * structure of its own: the codec seeds one per distinct key list.)
 */
export const kernelUnlink = defineMessage(KERNEL_UNLINK, { to: 'pid', from: 'pid' });

/** Asks the receiving CPU for a snapshot of its tree (`kernel.status`, answered under `ticket`). */
export const kernelStatusRequest = defineMessage(KERNEL_STATUS_REQUEST, { ticket: 'integer' });
/** The answer to `kernel.status-request` `ticket`: a flattened snapshot, or why there is none. */
export const kernelStatus = defineMessage(KERNEL_STATUS, { ticket: 'integer', status: 'any', error: 'string' });
/** Asks the receiving CPU for the graph of the machine its actor `pid` runs (`kernel.machineGraph`). */
export const kernelMachineRequest = defineMessage(KERNEL_MACHINE_REQUEST, { ticket: 'integer', pid: 'pid' });
/**
 * The answer to `kernel.machine-request` `ticket`: the machine's graph with its current state lit
 * (a `MachineGraph`, plain data), null when the actor runs no machine, or why there is none.
 */
export const kernelMachine = defineMessage(KERNEL_MACHINE, { ticket: 'integer', graph: 'any', error: 'string' });

/** The sending CPU's actor `pid` took (`registered`) or gave up name `name`: a lookup on any CPU finds it. */
export const kernelName = defineMessage(KERNEL_NAME, { name: 'string', pid: 'pid', registered: 'boolean' });

/**
 * CPU 0 tells the receiving CPU whether to send it its trace events: `events` is true while someone
 * on CPU 0 watches `kernel.events`, so no other CPU traces while nobody watches.
 */
export const kernelObserve = defineMessage(KERNEL_OBSERVE, { events: 'boolean' });
/**
 * What the sending CPU reports to CPU 0 of one of its streams: `records` (flat lists, see
 * actors/cpu/wire-reports.ts), and how many it `dropped` since its last report of that stream.
 */
export const kernelReports = defineMessage(KERNEL_REPORTS, {
  stream: { oneOf: ['failures', 'dead-letters', 'events'] },
  records: 'any',
  dropped: 'integer',
});

export type KernelEnvelope = MessageOf<typeof kernelEnvelope>;
export type KernelReply = MessageOf<typeof kernelReply>;
export type KernelStop = MessageOf<typeof kernelStop>;
export type KernelDown = MessageOf<typeof kernelDown>;
export type KernelExit = MessageOf<typeof kernelExit>;
export type KernelSpawn = MessageOf<typeof kernelSpawn>;
export type KernelSpawned = MessageOf<typeof kernelSpawned>;
export type KernelStructures = MessageOf<typeof kernelStructures>;
export type KernelMigrate = MessageOf<typeof kernelMigrate>;
export type KernelMonitor = MessageOf<typeof kernelMonitor>;
export type KernelLink = MessageOf<typeof kernelLink>;
export type KernelName = MessageOf<typeof kernelName>;
export type KernelUnlink = MessageOf<typeof kernelUnlink>;
export type KernelStatusRequest = MessageOf<typeof kernelStatusRequest>;
export type KernelStatusAnswer = MessageOf<typeof kernelStatus>;
export type KernelObserve = MessageOf<typeof kernelObserve>;
export type KernelReports = MessageOf<typeof kernelReports>;
export type KernelFence = MessageOf<typeof kernelFence>;
export type KernelFenced = MessageOf<typeof kernelFenced>;
export type KernelRelocated = MessageOf<typeof kernelRelocated>;
export type KernelSweep = MessageOf<typeof kernelSweep>;
export type KernelSwept = MessageOf<typeof kernelSwept>;
export type KernelMachineRequest = MessageOf<typeof kernelMachineRequest>;
export type KernelMachineAnswer = MessageOf<typeof kernelMachine>;
export type KernelMessage =
  | KernelEnvelope
  | KernelReply
  | KernelStop
  | KernelDown
  | KernelExit
  | KernelSpawn
  | KernelSpawned
  | KernelStructures
  | KernelMigrate
  | KernelMonitor
  | KernelLink
  | KernelName
  | KernelUnlink
  | KernelStatusRequest
  | KernelStatusAnswer
  | KernelObserve
  | KernelReports
  | KernelFence
  | KernelFenced
  | KernelRelocated
  | KernelSweep
  | KernelSwept
  | KernelMachineRequest
  | KernelMachineAnswer;

/** Every kernel descriptor, in a fixed order: codecs on all CPUs derive the same seeds from it. */
export const runtimeDescriptors = [
  kernelEnvelope,
  kernelReply,
  kernelStop,
  kernelDown,
  kernelExit,
  kernelSpawn,
  kernelSpawned,
  kernelStructures,
  kernelMigrate,
  kernelMonitor,
  kernelLink,
  kernelName,
  kernelUnlink,
  kernelStatusRequest,
  kernelStatus,
  kernelObserve,
  kernelReports,
  kernelFence,
  kernelFenced,
  kernelRelocated,
  kernelSweep,
  kernelSwept,
  kernelMachineRequest,
  kernelMachine,
] as const;

/**
 * Validates kernel messages (the runtime's own; a CPU's codecs also know its subsystems' frames).
 *
 * @example
 * ```ts
 * const message = runtimeRegistry.validate(value); // KernelMessage, or throws ProtocolError
 * ```
 */
export const runtimeRegistry = createSchemaRegistry(runtimeDescriptors);

// Every kernel message must get a pre-agreed record structure, or its first frame would need a sync.
assert(runtimeDescriptors.length <= structureCountMax, 'kernel messages must fit in the shared structure table');
