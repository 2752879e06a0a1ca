/**
 * A pool device as an actor: it takes reads, writes and flushes as asks, hands them to its block
 * device, and learns of their completions as interrupts, never as callbacks into its code: the
 * device driver raises each completion on the actor's vector, and the interrupt controller wakes the
 * actor once per burst, through its system lane, ahead of its mail (OSv's interrupt threads). In
 * that turn it answers the asks.
 *
 * It keeps the device's state (`device-machine.ts`): `ioErrorsMax` read and write errors fault the
 * device, `checksumErrorsMax` checksum errors the pool reports degrade it, and its user may take it
 * offline, bring it online again, or clear its errors (a degraded or faulted device is in use again;
 * an offline or removed one stays so). A device that is not in use refuses
 * requests with `DeviceUnavailableError`. Requests past the device's queue depth wait in the actor,
 * at most `waitingRequestsMax`; one more is refused with `BlockQueueFullError` (policy `reject`).
 *
 * Writes to neighbouring places go to the device as one vectored write, up to `aggregationBytesMax`
 * (ZFS's I/O aggregation): a pool writes a group's blocks one after another, and a device takes a few
 * large writes much faster than many small ones. A write is handed to the device in a later turn, so
 * that the writes asked meanwhile can join it; a read or a flush goes at once, behind the writes
 * before it.
 *
 * @example
 * ```ts
 * const disk = await createFileDevice('pool/disk0');
 * const dev = await openPoolDevice(host, disk, { name: 'disk0' });
 * await dev.ref.ask({ type: 'write', offsetBytes: 0, data: sector });
 * await dev.ref.ask({ type: 'flush' });
 * const back = await dev.ref.ask({ type: 'read', offsetBytes: 0, lengthBytes: 512 });
 * await dev.close();
 * await disk.close(); // the block device is its opener's to close
 * ```
 */
import type { BlockDevice } from '../../drivers/block/block-device.js';
import { BlockIoError, BlockQueueFullError } from '../../drivers/block/block-errors.js';
import { ClosedError, InvariantError, OspreyError, UnknownRequestError } from '../../ground/errors.js';
import { copyOfBytes } from '../../ground/bytes.js';
import type { Ask } from '../../ground/message.js';
import { ceilPowerOfTwo } from '../../ground/power-of-two.js';
import { interruptHandler } from '../irq/handler.js';
import type { VectorNumber } from '../irq/vector.js';
import type { InterruptController } from '../irq/controller.js';
import type { Behavior } from '../runtime/behavior.js';
import type { ActorContext, ReplyHandle } from '../runtime/context.js';
import { xstate } from '../runtime/lazy-packages.js';
import type { SpawnOptions } from '../runtime/spawn-options.js';
import type { ActorRef } from '../runtime/ref.js';
import { type DeviceEvent, type DeviceState, deviceInUse, deviceMachine } from './device-machine.js';

/** Read and write errors together at which a device is faulted (ZFS's `zfs_vdev_io_n`), until cleared or brought online. */
export const ioErrorsMax = 10;
/** Checksum errors at which a device is degraded (ZFS's `zfs_vdev_checksum_n`), until cleared. */
export const checksumErrorsMax = 10;
/** Requests waiting in the actor for room in the device's queue, at most. */
export const waitingRequestsMax = 4_096;
/** The largest vectored write neighbouring writes are joined into (ZFS's `zfs_vdev_aggregation_limit`), and its most pieces. */
export const aggregationBytesMax = 1 << 20;
export const aggregationPiecesMax = 64;
/**
 * How long the pool waits for a device's answer to a read, write or flush, in ms: ten minutes, ZFS's
 * deadman time for a stuck I/O (`zfs_deadman_synctime_ms`). A disk under load, or the flush of much
 * data written, can take seconds: the kernel's default ask deadline would fail such a request as if
 * the device were gone, and suspend the pool.
 */
export const deviceRequestDeadlineMs = 10 * 60 * 1000;
/** The options of every read, write and flush the pool asks of a device actor. */
export const deviceRequest = { deadlineMs: deviceRequestDeadlineMs } as const;

export type PoolDeviceMsg =
  /** `into`: read into it (exactly `lengthBytes` long, untouched by the asker until answered) rather than new memory. */
  | Ask<{ readonly type: 'read'; readonly offsetBytes: number; readonly lengthBytes: number; readonly into?: Uint8Array }, Uint8Array>
  /**
   * `handOver`: the asker does not change `data` until the write is answered, so it is not copied
   * (see BlockDevice.write); without it, `data` is copied as the actor takes the ask.
   */
  | Ask<{ readonly type: 'write'; readonly offsetBytes: number; readonly data: Uint8Array; readonly handOver?: boolean }, true>
  | Ask<{ readonly type: 'flush' }, true>
  /** The pool found a block of this device that did not verify. */
  | { readonly type: 'checksum-error' }
  | Ask<{ readonly type: 'offline' }, DeviceState>
  | Ask<{ readonly type: 'online' }, DeviceState>
  | Ask<{ readonly type: 'clear' }, DeviceState>
  | Ask<{ readonly type: 'status' }, PoolDeviceStatus>
  /** Its own reminder to hand the writes waiting to the device (see the module doc). */
  | { readonly type: 'pump' };

/** What `zpool status` shows of a device. */
export interface PoolDeviceStatus {
  readonly name: string;
  readonly state: DeviceState;
  readonly readErrors: number;
  readonly writeErrors: number;
  readonly checksumErrors: number;
  readonly inFlight: number;
  readonly waiting: number;
}

/** A request the device is not in a state to take. */
export class DeviceUnavailableError extends OspreyError {
  readonly code = 'device-unavailable';
  constructor(
    readonly device: string,
    readonly state: DeviceState,
  ) {
    super(`device ${device} is ${state}: it takes no requests until it is brought online`);
  }
}

/** A completion, as the driver raises it on the actor's vector. */
interface Completion {
  readonly ticket: number;
  readonly ok: boolean;
  readonly value: unknown;
}

type IoRequest = Extract<PoolDeviceMsg, { type: 'read' | 'write' | 'flush' }>;
type WriteRequest = Extract<IoRequest, { type: 'write' }>;
/** An ask waiting for the device, or in flight. */
interface Waiting {
  readonly request: IoRequest;
  readonly reply: ReplyHandle<unknown>;
}

export interface PoolDevice {
  readonly ref: ActorRef<PoolDeviceMsg>;
  readonly vector: VectorNumber<Completion>;
  /** Its status now, read without a message (what `status` asks for). */
  status(): PoolDeviceStatus;
  /**
   * Refuses new requests, waits for those it took, stops the actor and frees its vector. The block
   * device stays open: it is its opener's, who may open it again (an export, then an import).
   */
  close(): Promise<void>;
}

/**
 * What opening a device needs: an interrupt controller, and a way to start and stop its actor (a
 * `Kernel` spawns it as its child; the `zfs` subsystem under its supervisor).
 */
export interface PoolDeviceHost {
  readonly irq: InterruptController;
  spawn(behavior: Behavior<PoolDeviceMsg>, options: SpawnOptions<void>): ActorRef<PoolDeviceMsg> | Promise<ActorRef<PoolDeviceMsg>>;
  stop(ref: ActorRef<never>): Promise<unknown>;
}

/**
 * Spawns the actor of `device` and allocates its vector, whose ring holds a completion for every
 * request the device can have in flight, so that none is ever dropped.
 */
export async function openPoolDevice(host: PoolDeviceHost, device: BlockDevice, options: { readonly name: string }): Promise<PoolDevice> {
  const irq = host.irq;
  const state = new DeviceActorState(device, options.name);
  const ref = await host.spawn(state.behavior(), { name: `zfs.device.${options.name}` });
  let vector: VectorNumber<Completion>;
  try {
    vector = await irq.allocate<Completion>({ name: `zfs.${options.name}`, handler: ref, ringCapacity: ceilPowerOfTwo(device.queueDepth) });
  } catch (error) {
    // Nothing half-open is left: the actor goes; the device stays its caller's.
    await host.stop(ref as ActorRef<never>);
    throw error;
  }
  // Once the vector is freed (by close, or by the controller as the kernel stops), no completion is
  // raised on its number, which another device may hold next: the asks in flight fail instead.
  irq.onFree(vector, () => state.detach());
  state.attach((completion) => {
    // The ring holds the queue depth: a completion that does not fit is a broken invariant.
    if (!irq.raise(vector, completion)) throw new InvariantError(`the completion ring of device ${options.name} overflowed`);
  });
  let closing: Promise<void> | null = null;
  return {
    ref,
    vector,
    status: () => state.status(),
    close() {
      closing ??= (async () => {
        state.close();
        await state.drained();
        await host.stop(ref as ActorRef<never>);
        await irq.free(vector);
      })();
      return closing;
    },
  };
}

/** What the actor keeps across its incarnations: the asks in flight are answered whatever restarts. */
class DeviceActorState {
  private machineState: ReturnType<ReturnType<typeof deviceMachine>['resolveState']>;
  private raise: ((completion: Completion) => void) | null = null;
  private nextTicket = 1;
  /** The device's requests in flight, by ticket: each answers one ask, or several joined into one write. */
  private readonly inFlight = new Map<number, readonly Waiting[]>();
  /** Asks in flight, over all of them. */
  private asksInFlight = 0;
  private readonly waiting: Waiting[] = [];
  /** A `pump` is in the mailbox. */
  private pumpAsked = false;
  private readErrors = 0;
  private writeErrors = 0;
  private checksumErrors = 0;
  private idle: (() => void)[] = [];
  /** Closing: new requests are refused; those already taken finish. */
  private closing = false;

  constructor(
    private readonly device: BlockDevice,
    private readonly name: string,
  ) {
    const machine = deviceMachine();
    // The device was opened by whoever handed it over.
    this.machineState = xstate().transition(machine, machine.resolveState({ value: 'unavailable' }), { type: 'device.opened' })[0];
  }

  get state(): DeviceState {
    return this.machineState.value as DeviceState;
  }

  status(): PoolDeviceStatus {
    return {
      name: this.name,
      state: this.state,
      readErrors: this.readErrors,
      writeErrors: this.writeErrors,
      checksumErrors: this.checksumErrors,
      inFlight: this.asksInFlight,
      waiting: this.waiting.length,
    };
  }

  attach(raise: (completion: Completion) => void): void {
    this.raise = raise;
    this.pump();
  }

  /** Takes no more requests; those waiting are refused. */
  close(): void {
    this.closing = true;
    this.refuseWaiting((name) => new ClosedError(`device ${name}`, 'take requests'));
  }

  /** Its vector is gone: no completion can come back as an interrupt, so the asks in flight fail now. */
  detach(): void {
    this.raise = null;
    this.closing = true;
    for (const members of this.inFlight.values()) for (const { reply } of members) reply.reject(new ClosedError(`device ${this.name}`, 'complete a request'));
    this.inFlight.clear();
    this.asksInFlight = 0;
    this.refuseWaiting((name) => new ClosedError(`device ${name}`, 'take requests'));
    this.settleIdle();
  }

  drained(): Promise<void> {
    return this.inFlight.size === 0 && this.waiting.length === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }

  behavior() {
    return interruptHandler<Completion, PoolDeviceMsg>((completions) => this.completed(completions), {
      label: 'zfs-device',
      receive: (message, ctx) => this.receive(message, ctx),
      // A new incarnation (a restart) may have lost the `pump` in its mailbox: the writes waiting go now.
      started: () => {
        this.pumpAsked = false;
        this.pump();
      },
    });
  }

  private receive(message: PoolDeviceMsg, ctx: ActorContext<PoolDeviceMsg>): void {
    switch (message.type) {
      case 'read':
      case 'write':
      case 'flush': {
        const reply = ctx.replyLater(message) as ReplyHandle<unknown>;
        if (this.closing) reply.reject(new ClosedError(`device ${this.name}`, message.type));
        else if (!deviceInUse(this.state)) reply.reject(new DeviceUnavailableError(this.name, this.state));
        else if (this.waiting.length >= waitingRequestsMax) reply.reject(new BlockQueueFullError(this.name, this.device.queueDepth + waitingRequestsMax));
        else if (
          (message.type === 'write' && !(message.data instanceof Uint8Array)) ||
          (message.type === 'read' && message.into !== undefined && !(message.into instanceof Uint8Array))
        )
          // Refused as the device would refuse it, before anything is copied or queued: bad input does not crash the actor.
          reply.reject(new TypeError(`device ${this.name}: a ${message.type} takes a Uint8Array`));
        else {
          // A write not handed over is copied as it comes, not when the device takes it: once the
          // actor has it, its asker may use the buffer again, however long the write waits here.
          const request = message.type === 'write' && message.handOver !== true ? { ...message, data: copyOfBytes(message.data), handOver: true } : message;
          this.waiting.push({ request, reply });
          // A write waits for the writes asked meanwhile, to go with them (see the module doc).
          if (message.type !== 'write') this.pump();
          else if (!this.pumpAsked) {
            this.pumpAsked = true;
            ctx.self.tell({ type: 'pump' });
          }
        }
        return;
      }
      case 'pump':
        this.pumpAsked = false;
        this.pump();
        return;
      case 'checksum-error':
        if (++this.checksumErrors >= checksumErrorsMax) this.step({ type: 'device.checksum-errors' });
        return;
      case 'offline':
        this.step({ type: 'device.offline' });
        this.refuseWaiting();
        ctx.reply(message, this.state);
        return;
      case 'online':
        // Brought back by its user: its I/O errors start again from none, and its next request
        // tells whether it really works (an error there counts as any other).
        this.readErrors = this.writeErrors = 0;
        this.step({ type: 'device.opened' });
        ctx.reply(message, this.state);
        return;
      case 'clear':
        // zpool clear: the errors are forgotten; a degraded or faulted device is in use again,
        // an offline or removed one stays as it is.
        this.readErrors = this.writeErrors = this.checksumErrors = 0;
        this.step({ type: 'device.cleared' });
        ctx.reply(message, this.state);
        return;
      case 'status':
        ctx.reply(message, this.status());
        return;
      default:
        // Mail no device takes crashes its actor, which its supervisor restarts: nothing is lost,
        // the asks in flight live in this state, not in the incarnation.
        throw new UnknownRequestError(`device ${this.name}`, String((message as { type?: unknown }).type));
    }
  }

  /**
   * Hands waiting requests to the device while it has room, neighbouring writes joined into one; each
   * completion comes back as an interrupt.
   */
  private pump(): void {
    const raise = this.raise;
    if (raise === null) return;
    while (this.waiting.length > 0 && this.inFlight.size < this.device.queueDepth) {
      const members = this.takeNext();
      const ticket = this.nextTicket++;
      this.inFlight.set(ticket, members);
      this.asksInFlight += members.length;
      const complete = (completion: Completion) => {
        // Detached meanwhile: the asks were failed already.
        if (this.raise !== raise || !this.inFlight.has(ticket)) return;
        try {
          raise(completion);
        } catch (error) {
          this.inFlight.delete(ticket);
          this.asksInFlight -= members.length;
          for (const { reply } of members) reply.reject(error);
          this.settleIdle();
        }
      };
      const request = members[0]!.request;
      let done: Promise<unknown>;
      if (request.type === 'read') done = this.device.read(request.offsetBytes, request.lengthBytes, request.into);
      else if (request.type === 'flush') done = this.device.flush().then(() => true as const);
      else {
        // Handed over only if every piece is: else the device copies them all.
        const handOver = members.every((member) => (member.request as WriteRequest).handOver === true);
        done = (
          members.length === 1
            ? this.device.write(request.offsetBytes, request.data, { handOver })
            : this.device.writev(
                request.offsetBytes,
                members.map((member) => (member.request as WriteRequest).data),
                { handOver },
              )
        ).then(() => true as const);
      }
      done.then(
        (value) => complete({ ticket, ok: true, value }),
        (error: unknown) => complete({ ticket, ok: false, value: error }),
      );
    }
  }

  /** The next waiting request, with the writes that follow it to the byte joined to it (up to the aggregation's bounds). */
  private takeNext(): Waiting[] {
    const first = this.waiting.shift()!;
    if (first.request.type !== 'write') return [first];
    const members = [first];
    let endBytes = first.request.offsetBytes + first.request.data.byteLength;
    let bytes = first.request.data.byteLength;
    while (this.waiting.length > 0 && members.length < aggregationPiecesMax) {
      const next = this.waiting[0]!.request;
      if (next.type !== 'write' || next.offsetBytes !== endBytes || bytes + next.data.byteLength > aggregationBytesMax) break;
      members.push(this.waiting.shift()!);
      endBytes += next.data.byteLength;
      bytes += next.data.byteLength;
    }
    return members;
  }

  /** The actor's interrupt: answers the asks whose requests completed, counts the errors. */
  private completed(completions: readonly Completion[]): void {
    for (const { ticket, ok, value } of completions) {
      const members = this.inFlight.get(ticket);
      // Failed already (its vector was freed under it): its asks were answered then.
      if (members === undefined) continue;
      this.inFlight.delete(ticket);
      this.asksInFlight -= members.length;
      if (ok) {
        for (const { reply } of members) reply.resolve(value);
        continue;
      }
      for (const { reply } of members) reply.reject(value);
      // One request failed, however many asks it answered: one error.
      if (value instanceof BlockIoError) {
        if (members[0]!.request.type === 'read') this.readErrors++;
        else this.writeErrors++;
        // Read and write errors together fault it, as ZFS counts a device's I/O errors.
        if (this.readErrors + this.writeErrors >= ioErrorsMax && this.state !== 'faulted') this.step({ type: 'device.io-errors' });
        if (value.reason === 'gone') this.step({ type: 'device.removed' });
      }
    }
    if (!deviceInUse(this.state)) this.refuseWaiting();
    this.pump();
    this.settleIdle();
  }

  private settleIdle(): void {
    if (this.inFlight.size === 0 && this.waiting.length === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  private refuseWaiting(refusal: (name: string) => Error = (name) => new DeviceUnavailableError(name, this.state)): void {
    for (const { reply } of this.waiting.splice(0)) reply.reject(refusal(this.name));
  }

  private step(event: DeviceEvent): void {
    this.machineState = xstate().transition(deviceMachine(), this.machineState, event)[0];
  }
}
