/**
 * A simulated network for tests: hosts whose events are recorded with the virtual time they came
 * at, byte patterns that show any loss, duplication or reordering, and a peer that gives credits
 * back as it takes data.
 */
import { createSimulatedClock, type SimulatedClock } from '../../../drivers/clock/simulated.js';
import type { FlowId, NicEvent } from '../../../drivers/nic/nic.js';
import type { SimulatedNic } from '../../../drivers/nic/sim-host.js';
import type { WireFaults } from '../../../drivers/nic/sim-wire-faults.js';
import { createSimulatedNetwork, type SimulatedHostOptions, type SimulatedNetwork } from '../../../drivers/nic/simulated-network.js';
import type { TcpOptions } from '../../../drivers/nic/tcp-limits.js';
import { createSeededRandom } from '../../../drivers/random/seeded.js';

export interface Recorded {
  readonly atMs: number;
  readonly host: string;
  readonly event: NicEvent;
}

export interface World {
  readonly clock: SimulatedClock;
  readonly network: SimulatedNetwork;
  readonly log: Recorded[];
  /** A host whose events go to the log, and to `onEvent` if given (called inside the sink). */
  host(name: string, options?: SimulatedHostOptions, onEvent?: (event: NicEvent, nic: SimulatedNic) => void): SimulatedNic;
  /** The events `host` raised for `flow` (every flow when left out). */
  eventsOf(host: string, flow?: FlowId): NicEvent[];
  /** The bytes of `flow`'s data events on `host`, joined. */
  received(host: string, flow: FlowId): Uint8Array;
  /**
   * Writes `totalBytes` of pattern `salt` to `flow` in chunks, as a well-behaved writer: after a
   * write returns false, on only at the next `writable` event. Ends the flow after the last byte
   * when `end`. Returns how many bytes it has written so far.
   */
  write(nic: SimulatedNic, flow: FlowId, totalBytes: number, salt: number, options?: { chunkBytes?: number; end?: boolean }): () => number;
}

export function createWorld(seed: number, faults: WireFaults = {}, tcp: TcpOptions = {}, packetsInFlightMax?: number): World {
  const clock = createSimulatedClock();
  const network = createSimulatedNetwork({
    clock,
    random: createSeededRandom(seed),
    faults,
    tcp,
    ...(packetsInFlightMax === undefined ? {} : { packetsInFlightMax }),
  });
  const log: Recorded[] = [];
  /** Writers waiting for a `writable` event, by host and flow. */
  const writers = new Map<string, () => void>();
  const eventsOf = (host: string, flow?: FlowId): NicEvent[] =>
    log.filter((entry) => entry.host === host && (flow === undefined || entry.event.flow === flow)).map((entry) => entry.event);
  return {
    clock,
    network,
    log,
    host(name, options, onEvent) {
      const nic = network.host(name, options);
      nic.attach((event) => {
        log.push({ atMs: clock.now(), host: name, event });
        if (event.kind === 'writable') writers.get(`${name}/${event.flow}`)?.();
        onEvent?.(event, nic);
      });
      return nic;
    },
    eventsOf,
    received(host, flow) {
      return joined(eventsOf(host, flow).flatMap((event) => (event.kind === 'data' ? [event.bytes] : [])));
    },
    write(nic, flow, totalBytes, salt, options = {}) {
      const chunkBytes = options.chunkBytes ?? 16_384;
      let written = 0;
      const writeOn = (): void => {
        while (written < totalBytes) {
          const length = Math.min(chunkBytes, totalBytes - written);
          const below = nic.write(flow, pattern(length, salt, written));
          written += length;
          if (!below) return;
        }
        writers.delete(`${nic.name}/${flow}`);
        if (options.end === true) nic.end(flow);
      };
      writers.set(`${nic.name}/${flow}`, writeOn);
      writeOn();
      return () => written;
    },
  };
}

/** A sink hook that gives each data event's credit back at once: a consumer that keeps up. */
export function creditAtOnce(event: NicEvent, nic: SimulatedNic): void {
  if (event.kind === 'data') nic.credit(event.flow, 1);
}

/** `length` bytes of a pattern in which every position of every stream differs from its neighbours. */
export function pattern(length: number, salt: number, offset = 0): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) {
    const position = offset + index;
    bytes[index] = (position * 7 + (position >>> 8) * 13 + (position >>> 16) * 29 + salt) & 255;
  }
  return bytes;
}

export function joined(chunks: readonly Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return all;
}

/** The flow of the first `accepted` event on `host`. */
export function acceptedFlow(world: World, host: string): FlowId {
  const accepted = world.eventsOf(host).find((event) => event.kind === 'accepted');
  if (accepted === undefined) throw new Error(`${host} accepted no flow`);
  return accepted.flow;
}

/** The `closed` event of `flow` on `host`, if it came. */
export function closedEvent(world: World, host: string, flow: FlowId): Extract<NicEvent, { kind: 'closed' }> | undefined {
  return world.eventsOf(host, flow).find((event): event is Extract<NicEvent, { kind: 'closed' }> => event.kind === 'closed');
}

/** Moves the world's clock on `stepMs` at a time until `done` holds; fails after `stepsMax` steps. */
export async function advanceUntil(world: World, done: () => boolean, stepMs = 10, stepsMax = 100_000): Promise<void> {
  for (let step = 0; step < stepsMax; step++) {
    if (done()) return;
    await world.clock.advance(stepMs);
  }
  throw new Error(`not done after ${stepsMax} steps of ${stepMs} ms`);
}
