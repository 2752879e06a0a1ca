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

export type PoolDeviceMsg =
  | Ask<{ readonly type: 'read'; readonly offsetBytes: number; readonly lengthBytes: number }, Uint8Array>
  /** `handOver`: the asker never changes `data` again, so the device need not copy it (see BlockDevice.write). */
  | Ask<{ readonly type: 'write'; readonly offsetBytes: number; readonly data: Uint8Array; readonly handOver?: boolean }, true>
  | Ask<{ readonly type: 'flush' }, true>
  /** The pool found a block of this device that did not verify. */
  | { readonly type: 'checksum-error' }
  | Ask<{ readonly type: 'offline' }, DeviceState>
  | Ask<{ readonly type: 'online' }, DeviceState>
  | Ask<{ readonly type: 'clear' }, DeviceState>
  | Ask<{ readonly type: 'status' }, PoolDeviceStatus>;

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
  private readonly inFlight = new Map<number, { readonly request: IoRequest; readonly reply: ReplyHandle<unknown> }>();
  private readonly waiting: { request: IoRequest; reply: ReplyHandle<unknown> }[] = [];
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
      inFlight: this.inFlight.size,
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
    for (const { reply } of this.inFlight.values()) reply.reject(new ClosedError(`device ${this.name}`, 'complete a request'));
    this.inFlight.clear();
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
        else {
          this.waiting.push({ request: message, reply });
          this.pump();
        }
        return;
      }
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

  /** Hands waiting requests to the device while it has room; each completion comes back as an interrupt. */
  private pump(): void {
    const raise = this.raise;
    if (raise === null) return;
    while (this.waiting.length > 0 && this.inFlight.size < this.device.queueDepth) {
      const { request, reply } = this.waiting.shift()!;
      const ticket = this.nextTicket++;
      this.inFlight.set(ticket, { request, reply });
      const complete = (completion: Completion) => {
        // Detached meanwhile: the ask was failed already.
        if (this.raise !== raise || !this.inFlight.has(ticket)) return;
        try {
          raise(completion);
        } catch (error) {
          this.inFlight.delete(ticket);
          reply.reject(error);
          this.settleIdle();
        }
      };
      const done =
        request.type === 'read'
          ? this.device.read(request.offsetBytes, request.lengthBytes)
          : request.type === 'write'
            ? this.device.write(request.offsetBytes, request.data, { handOver: request.handOver === true }).then(() => true as const)
            : this.device.flush().then(() => true as const);
      done.then(
        (value) => complete({ ticket, ok: true, value }),
        (error: unknown) => complete({ ticket, ok: false, value: error }),
      );
    }
  }

  /** The actor's interrupt: answers the asks whose requests completed, counts the errors. */
  private completed(completions: readonly Completion[]): void {
    for (const { ticket, ok, value } of completions) {
      const entry = this.inFlight.get(ticket);
      // Failed already (its vector was freed under it): its ask was answered then.
      if (entry === undefined) continue;
      this.inFlight.delete(ticket);
      if (ok) {
        entry.reply.resolve(value);
        continue;
      }
      entry.reply.reject(value);
      if (value instanceof BlockIoError) {
        if (entry.request.type === 'read') this.readErrors++;
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
