/**
 * Cross-CPU frame types by registry. Every kernel message that crosses CPUs, but actor mail, is a
 * frame type: a schema (protocols/) and the handler that runs it on the receiving CPU. Each concern
 * of the routing (placements, monitors, links, names, status) registers its own, and so does every
 * subsystem (`SubsystemParts.frames`), so a new frame type edits neither the routing core nor
 * protocols/runtime.ts.
 *
 * Every CPU registers the same types in the same order (boot starts the same subsystems on each),
 * and the codecs of its rings derive their shared record structures from that order, so a frame's
 * first appearance needs no structure sync.
 *
 * @example
 * ```ts
 * // protocols/clock-tower.ts
 * export const towerChime = defineMessage('tower.chime', { to: 'pid', hour: 'integer' });
 * // actors/clock-tower/frames.ts
 * export const chimeFrame = defineFrameType(towerChime, (message, source, routing) => {
 *   routing.localCell(message.to)?.deliver({ type: 'chime', hour: message.hour }, 0);
 * });
 * ```
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import { ProtocolError } from '../../protocols/protocol-error.js';
import { type AnyMessage, type AnyMessageDescriptor, createSchemaRegistry, type MessageOf, type SchemaRegistry } from '../../protocols/schema.js';
import { structureCountMax } from '../../protocols/limits.js';
import type { Cell } from '../runtime/cell.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import type { Pid } from '../../ground/pid.js';

/** What the routing offers a frame handler (CpuNode implements it). */
export interface FrameRouting {
  /** The kernel core of the receiving CPU. */
  readonly kernel: KernelCore;
  /**
   * The cell frames for `pid` go to: the live local actor, or the stand-in of one that moved from
   * here to another CPU (its frames follow it); undefined when it is gone.
   */
  localCell(pid: Pid): Cell | undefined;
  /** Sends `message` to CPU `cpu` under the overflow policy; nothing if that CPU is down. */
  send<M extends AnyMessage>(cpu: number, message: M): void;
  /**
   * Sends a request to the CPU of `target` (a stand-in of an actor of another CPU): `build` makes
   * the message around the ask id that its answer (a `kernel.reply`, see `answer`) will carry.
   * Resolves with the answer; rejects if it fails, the CPU is down, or after `deadlineMs`.
   */
  request(target: Cell, build: (askId: number) => AnyMessage, deadlineMs?: number): Promise<unknown>;
  /** Answers request `askId` of CPU `source`: `ok` with `value`, or a failure (`value` is the error). */
  answer(source: number, askId: number, ok: boolean, value: unknown): void;
  /** The CPUs of the machine. */
  readonly cpus: number;
  /** Whether CPU `cpu` is down (its worker died, and its next incarnation has not come up yet). */
  isDown(cpu: number): boolean;
  /**
   * Calls `listener` each time a CPU goes down, after the kernel's own bookkeeping (its asks failed,
   * its refs dead): for a subsystem's state tied to that CPU. Returns what stops the calls.
   */
  onCpuDown(listener: (cpu: number) => void): () => void;
}

/** One frame type: its schema, and what the receiving CPU does with it. */
export interface FrameType {
  readonly descriptor: AnyMessageDescriptor;
  /** Runs frame `message` from CPU `source` on the receiving CPU. */
  handle(message: AnyMessage, source: number, routing: FrameRouting): void;
}

/** A frame type from its schema and its handler, typed by the schema. */
export function defineFrameType<const D extends AnyMessageDescriptor>(
  descriptor: D,
  handle: (message: MessageOf<D>, source: number, routing: FrameRouting) => void,
): FrameType {
  return { descriptor, handle: handle as FrameType['handle'] };
}

/** The frame types one CPU knows, in registration order. */
export class FrameRegistry {
  private readonly handlers = new Map<string, FrameType>();
  private readonly order: AnyMessageDescriptor[] = [];
  private built: SchemaRegistry | null = null;

  /**
   * @param fixed descriptors with no handler here (the mail frames and structure syncs, which the
   *   port and the routing core handle themselves), registered first.
   */
  constructor(fixed: readonly AnyMessageDescriptor[]) {
    this.order.push(...fixed);
  }

  /** Adds frame types; all before the first `schemas()` (the codecs are built from them). */
  register(...types: readonly FrameType[]): void {
    assert(this.built === null, 'frame types are registered before the codecs are built');
    for (const type of types) {
      const name = type.descriptor.type;
      if (!(!this.handlers.has(name) && !this.order.some((descriptor) => descriptor.type === name)))
        invariantBroken(`frame type '${name}' is registered twice`);
      this.handlers.set(name, type);
      this.order.push(type.descriptor);
    }
  }

  /** The schemas of every frame type, in registration order: what the codecs validate and seed from. */
  schemas(): SchemaRegistry {
    if (this.built === null) {
      // Each type gets a pre-agreed record structure, or its first frame would need a sync.
      if (!(this.order.length <= structureCountMax))
        invariantBroken(`${this.order.length} frame types exceed the ${structureCountMax} shared record structures`);
      this.built = createSchemaRegistry(this.order);
    }
    return this.built;
  }

  /** The type strings of every frame this CPU knows, in registration order. */
  types(): readonly string[] {
    return this.order.map((descriptor) => descriptor.type);
  }

  /** Runs `message` from CPU `source` with its type's handler; a type nobody registered is a bad frame. */
  handle(message: AnyMessage, source: number, routing: FrameRouting): void {
    const type = this.handlers.get(message.type);
    if (type === undefined) throw new ProtocolError('unknown-type', 'type', `no frame type '${message.type}' is registered on this cpu`);
    type.handle(message, source, routing);
  }
}
