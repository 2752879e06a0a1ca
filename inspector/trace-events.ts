/**
 * A run of the kernel as a Chrome trace (the trace-event JSON Object Format), which
 * https://ui.perfetto.dev and chrome://tracing open. Feed it the run's events one at a time
 * (`record`), from `kernel.events` or from a simulated run's `onEvent`; it does not care how they
 * were subscribed.
 *
 * What it draws:
 * - A process per CPU (`cpu N`), a thread per actor, named from its spawn event (its name, else its
 *   behaviour's label) with its pid, and one thread per CPU for mail sent from outside any actor.
 *   Trace pids and tids are small numbers (CPU + 1; tids in order of first use): Perfetto reads
 *   them as 32-bit and treats pid 0 as the idle process, and a kernel pid is neither.
 * - A turn as a complete slice on its actor's thread: a `receive` (named by the message's type) or
 *   a `timer` that fired. The events mark where a turn starts but not where it ends, so a turn lasts
 *   `turnWidthUs`, or up to its last send when that came later (real time moves during a turn;
 *   virtual time does not). A slice starts no earlier than the previous one on its thread ends, so
 *   the slices of one thread never overlap; turns at one virtual instant line up one after another.
 * - A flow arrow from each send to the receive it caused, across CPUs too: the arrow starts inside
 *   the sender's turn (or, for a send outside any turn, inside a slice of its own, `send <type>`) and
 *   ends on the receiver's turn, which starts no earlier than the send. Its id is the send event's
 *   id; a second receive of one send (a duplicated message) takes its own id. A send that is never
 *   received draws no arrow. The hop of a message to another CPU (the second `send` event, into the
 *   far mailbox) is part of its arrow, not an event of its own.
 * - Instant events for a fault, a restart, a stop, a dead letter (on the target's thread) and an
 *   escalation (a supervisor's transition into its `escalating` state).
 * - Counters, in the process of the CPU they count, each drawn when its value changes:
 *   - `mailbox <actor>`: the messages in an actor's mailbox, from the depth each send into it and
 *     each receive from it carry; 0 once it stops (what its mailbox held became dead letters).
 *   - `run queue`: the CPU's actors with work, the running one among them, as each turn begins.
 *     Between turns it holds its last value: an idle CPU takes no message to say so.
 *
 * Timestamps are microseconds of the events' `atMs`, moved later only as the rules above need; each
 * slice and instant keeps its event's `atMs` and `id` in its args. The same events give the same
 * trace, byte for byte: nothing here reads a clock or depends on anything but the events' order.
 *
 * @example
 * ```ts
 * const recorder = new TraceRecorder();
 * await runScenario(bank, { seed: 8812, onEvent: (event) => recorder.record(event) });
 * writeFileSync('bank.trace.json', serializeTrace(recorder.toJSON()));
 * ```
 */
import type { KernelEvent } from '../actors/runtime/events.js';
import { formatPid, pidCpu } from '../ground/pid.js';

/** How long a turn lasts in the trace when its events do not say, in µs. */
export const turnWidthUs = 1;
/** Events a recorder keeps by default; later ones are counted, not drawn. */
export const traceEventsMaxDefault = 250_000;

/** One event of a Chrome trace: the fields this recorder writes. */
export interface TraceEvent {
  readonly name: string;
  readonly cat?: string;
  /** X a complete slice, i an instant, s and f a flow's start and end, C a counter, M metadata. */
  readonly ph: 'X' | 'i' | 's' | 'f' | 'C' | 'M';
  /** µs; metadata has none. */
  readonly ts?: number;
  readonly dur?: number;
  readonly pid: number;
  readonly tid: number;
  readonly id?: number;
  /** On a flow's end: bind it to the slice that encloses it. */
  readonly bp?: 'e';
  /** On an instant: its scope, the thread. */
  readonly s?: 't';
  /** A slice's or an instant's details; a counter's value, by series. */
  readonly args?: Readonly<Record<string, string | number>>;
}

/** A Chrome trace in the JSON Object Format. */
export interface ChromeTrace {
  readonly traceEvents: readonly TraceEvent[];
  readonly displayTimeUnit: 'ms';
  /** Present when events past `eventsMax` were left out. */
  readonly otherData?: { readonly droppedEvents: number };
}

export interface TraceRecorderOptions {
  /** Kernel events to draw at most; later ones are only counted (`droppedEvents`). */
  readonly eventsMax?: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One thread of the trace: an actor's, or the mail from outside any actor on one CPU. */
interface Track {
  readonly pid: number;
  readonly tid: number;
  /** The kernel pid of its actor; 0 for the outside thread. */
  readonly actor: number;
  /** The latest timestamp placed on it: what is placed later is placed no earlier. */
  lastUs: number;
  /** Where its latest slice ends: the next one starts no earlier. */
  freeUs: number;
  /** Its latest slice, while the sends of the turn it stands for may still extend it. */
  open: { readonly slice: Mutable<TraceEvent>; readonly opening: number } | null;
}

/** A send, waiting for the receive it causes. */
interface PendingSend {
  readonly id: number;
  readonly from: number;
  readonly to: number;
  readonly messageType: string;
  readonly track: Track;
  /** Where its flow starts, inside a slice of `track`. */
  readonly ts: number;
  /** Its id is taken by the flow to its first receive. */
  flowed: boolean;
}

/**
 * Records kernel events as a Chrome trace.
 *
 * @example
 * ```ts
 * const recorder = new TraceRecorder();
 * const subscription = kernel.events.subscribe((event) => recorder.record(event));
 * // ... run ...
 * subscription.unsubscribe();
 * const trace = recorder.toJSON(); // { traceEvents: [...], displayTimeUnit: 'ms' }
 * ```
 */
export class TraceRecorder {
  private readonly eventsMax: number;
  private readonly events: TraceEvent[] = [];
  private readonly actorTracks = new Map<number, Track>();
  /** The outside thread of each CPU. */
  private readonly outsideTracks = new Map<number, Track>();
  private readonly tracks: Track[] = [];
  private readonly names = new Map<number, string>();
  private readonly sends = new Map<number, PendingSend>();
  /** Each counter's latest value and when it was drawn, by `<trace pid> <name>`: a counter is drawn when it changes. */
  private readonly counters = new Map<string, { value: number; ts: number }>();
  /** The mailbox counters drawn, with their actor's track: named when the trace is made, as threads are. */
  private readonly mailboxCounters = new Map<TraceEvent, Track>();
  private recorded = 0;
  private dropped = 0;

  constructor(options: TraceRecorderOptions = {}) {
    this.eventsMax = options.eventsMax ?? traceEventsMaxDefault;
    if (!Number.isSafeInteger(this.eventsMax) || this.eventsMax < 0) throw new RangeError(`eventsMax must be a non-negative integer, got ${this.eventsMax}`);
  }

  /** Kernel events drawn so far. */
  get recordedEvents(): number {
    return this.recorded;
  }

  /** Kernel events left out because `eventsMax` were drawn before them. */
  get droppedEvents(): number {
    return this.dropped;
  }

  /**
   * Names actor `pid` in the trace, unless its spawn event did: for actors spawned before the
   * recording started (see `startTrace`).
   */
  nameActor(pid: number, name: string): void {
    if (!this.names.has(pid)) this.names.set(pid, name);
  }

  /** Draws `event`; events must come in the order the kernel emitted them. */
  record(event: KernelEvent): void {
    if (this.recorded >= this.eventsMax) {
      this.dropped++;
      return;
    }
    this.recorded++;
    const atUs = microseconds(event.atMs);
    switch (event.kind) {
      case 'spawn':
        this.names.set(event.pid, event.name ?? event.label);
        break;
      case 'receive':
        this.receive(event, atUs);
        break;
      case 'timer': {
        const track = this.actorTrack(event.pid);
        const slice = this.openSlice(track, atUs, `timer ${event.key}`, 'timer', { pid: formatPid(event.pid), id: event.id, atMs: event.atMs });
        track.open = { slice, opening: event.id };
        break;
      }
      case 'send':
        this.send(event, atUs);
        break;
      case 'fault':
        this.instant(this.actorTrack(event.pid), atUs, 'fault', 'lifecycle', event, {
          error: event.error,
          ...(event.messageType !== undefined ? { message: event.messageType } : {}),
        });
        break;
      case 'restart':
        this.instant(this.actorTrack(event.pid), atUs, 'restart', 'lifecycle', event, { attempt: event.attempt });
        break;
      case 'stop': {
        const track = this.actorTrack(event.pid);
        this.instant(track, atUs, 'stop', 'lifecycle', event, { reason: event.reason });
        if (this.counters.has(`${track.pid} mailbox ${track.tid}`)) this.mailboxDepth(track, 0, track.lastUs);
        break;
      }
      case 'dead-letter':
        this.instant(this.actorTrack(event.to), atUs, `dead-letter ${event.messageType}`, 'mail', event, { from: formatPid(event.from), reason: event.reason });
        break;
      case 'transition':
        // Supervisors (supervisors/machine.ts) give up by entering this state: the escalation.
        if (event.machine === 'supervisor' && event.to === 'escalating')
          this.instant(this.actorTrack(event.pid), atUs, 'escalate', 'lifecycle', event, { from: event.from, event: event.event });
        break;
    }
  }

  /** The trace so far: metadata naming each CPU and thread, then the events in the order drawn. */
  toJSON(): ChromeTrace {
    const metadata: TraceEvent[] = [];
    const cpus = [...new Set(this.tracks.map((track) => track.pid))].sort((a, b) => a - b);
    for (const pid of cpus) metadata.push({ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: `cpu ${pid - 1}` } });
    const tracks = [...this.tracks].sort((a, b) => a.pid - b.pid || a.tid - b.tid);
    for (const track of tracks) metadata.push({ name: 'thread_name', ph: 'M', pid: track.pid, tid: track.tid, args: { name: this.threadName(track) } });
    return {
      traceEvents: [
        ...metadata,
        ...this.events.map((event) => {
          const mailboxOf = this.mailboxCounters.get(event);
          return mailboxOf === undefined ? { ...event } : { ...event, name: `mailbox ${this.threadName(mailboxOf)}` };
        }),
      ],
      displayTimeUnit: 'ms',
      ...(this.dropped > 0 ? { otherData: { droppedEvents: this.dropped } } : {}),
    };
  }

  private receive(event: KernelEvent & { kind: 'receive' }, atUs: number): void {
    const track = this.actorTrack(event.pid);
    const send = this.sends.get(event.cause);
    // The receive starts no earlier than its send, so the arrow runs forward.
    const slice = this.openSlice(track, Math.max(atUs, send?.ts ?? atUs), event.messageType, 'receive', {
      pid: formatPid(event.pid),
      id: event.id,
      atMs: event.atMs,
    });
    track.open = { slice, opening: event.id };
    this.mailboxDepth(track, event.depth, slice.ts!);
    this.counter(track.pid, 'run queue', 'runnable', event.runnable, slice.ts!);
    if (send === undefined) return;
    const id = send.flowed ? event.id : send.id;
    send.flowed = true;
    this.events.push({ name: send.messageType, cat: 'mail', ph: 's', ts: send.ts, pid: send.track.pid, tid: send.track.tid, id });
    this.events.push({ name: send.messageType, cat: 'mail', ph: 'f', ts: slice.ts! + turnWidthUs / 2, pid: track.pid, tid: track.tid, id, bp: 'e' });
  }

  private send(event: KernelEvent & { kind: 'send' }, atUs: number): void {
    const hop = this.sends.get(event.cause);
    if (hop !== undefined && hop.from === event.from && hop.to === event.to) {
      // The same message into the far CPU's mailbox: its receive's cause is this event.
      this.sends.set(event.id, hop);
      // Its depth counts from when it arrived, which is no earlier than it was sent.
      if (event.depth !== undefined) this.mailboxDepth(this.actorTrack(event.to), event.depth, Math.max(atUs, hop.ts));
      return;
    }
    const track = event.from === 0 ? this.outsideTrack(event.cpu) : this.actorTrack(event.from);
    let ts: number;
    if (track.open !== null && event.cause !== 0 && track.open.opening === event.cause) {
      // Sent during the turn: the turn lasts at least until then.
      const slice = track.open.slice;
      ts = Math.max(atUs, track.lastUs, slice.ts! + turnWidthUs / 2);
      slice.dur = Math.max(slice.dur!, ts - slice.ts! + turnWidthUs / 2);
      track.freeUs = slice.ts! + slice.dur;
    } else {
      const slice = this.openSlice(track, atUs, `send ${event.messageType}`, 'send', { to: formatPid(event.to), id: event.id, atMs: event.atMs });
      track.open = null;
      ts = slice.ts! + turnWidthUs / 2;
    }
    track.lastUs = ts;
    this.sends.set(event.id, { id: event.id, from: event.from, to: event.to, messageType: event.messageType, track, ts, flowed: false });
    if (event.depth !== undefined) this.mailboxDepth(this.actorTrack(event.to), event.depth, ts);
  }

  /** Draws the depth of the mailbox of `track`'s actor at `ts`, when it changed. */
  private mailboxDepth(track: Track, depth: number, ts: number): void {
    const drawn = this.counter(track.pid, `mailbox ${track.tid}`, 'depth', depth, ts);
    if (drawn !== null) this.mailboxCounters.set(drawn, track);
  }

  /**
   * Draws counter `name` of trace process `pid` at `value`, unless that is the value it has; returns
   * what it drew. A counter never goes back in time: a value that comes later in the events is drawn
   * no earlier than the one before it.
   */
  private counter(pid: number, name: string, series: string, value: number, atUs: number): TraceEvent | null {
    const key = `${pid} ${name}`;
    const latest = this.counters.get(key);
    if (latest?.value === value) return null;
    const ts = Math.max(atUs, latest?.ts ?? 0);
    this.counters.set(key, { value, ts });
    const counter: TraceEvent = { name, cat: 'counter', ph: 'C', ts, pid, tid: 0, args: { [series]: value } };
    this.events.push(counter);
    return counter;
  }

  /** A slice of `turnWidthUs` on `track`, starting at `atUs` or when its latest slice ends. */
  private openSlice(track: Track, atUs: number, name: string, cat: string, args: Record<string, string | number>): Mutable<TraceEvent> {
    const ts = Math.max(atUs, track.freeUs, track.lastUs);
    const slice: Mutable<TraceEvent> = { name, cat, ph: 'X', ts, dur: turnWidthUs, pid: track.pid, tid: track.tid, args };
    this.events.push(slice);
    track.lastUs = ts;
    track.freeUs = ts + turnWidthUs;
    track.open = null;
    return slice;
  }

  private instant(track: Track, atUs: number, name: string, cat: string, event: KernelEvent, args: Record<string, string | number>): void {
    const ts = Math.max(atUs, track.lastUs);
    track.lastUs = ts;
    this.events.push({ name, cat, ph: 'i', ts, pid: track.pid, tid: track.tid, s: 't', args: { ...args, id: event.id, atMs: event.atMs } });
  }

  private actorTrack(actor: number): Track {
    let track = this.actorTracks.get(actor);
    if (track === undefined) this.actorTracks.set(actor, (track = this.newTrack(pidCpu(actor), actor)));
    return track;
  }

  private outsideTrack(cpu: number): Track {
    let track = this.outsideTracks.get(cpu);
    if (track === undefined) this.outsideTracks.set(cpu, (track = this.newTrack(cpu, 0)));
    return track;
  }

  private newTrack(cpu: number, actor: number): Track {
    const track: Track = { pid: cpu + 1, tid: this.tracks.length + 1, actor, lastUs: 0, freeUs: 0, open: null };
    this.tracks.push(track);
    return track;
  }

  private threadName(track: Track): string {
    if (track.actor === 0) return 'outside actors';
    const name = this.names.get(track.actor);
    return name === undefined ? formatPid(track.actor) : `${name} ${formatPid(track.actor)}`;
  }
}

/**
 * `trace` as JSON text, one event a line, so two traces diff line by line.
 *
 * @example
 * ```ts
 * writeFileSync('run.trace.json', serializeTrace(recorder.toJSON()));
 * ```
 */
export function serializeTrace(trace: ChromeTrace): string {
  const events = trace.traceEvents.map((event) => JSON.stringify(event)).join(',\n');
  const other = trace.otherData !== undefined ? `,\n"otherData":${JSON.stringify(trace.otherData)}` : '';
  return `{"traceEvents":[\n${events}\n],\n"displayTimeUnit":${JSON.stringify(trace.displayTimeUnit)}${other}}\n`;
}

/** `ms` in µs, to the nanosecond: no float noise of the multiplication in the trace. */
function microseconds(ms: number): number {
  return Math.round(ms * 1_000_000) / 1000;
}
