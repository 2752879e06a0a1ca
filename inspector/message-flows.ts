/**
 * The message flow between actors a page follows: while some page follows some actors, the kernel's
 * events are watched, and each message one of them sends to another is handed to the pages that
 * follow both, as `{ type: 'flow', from, to, messageType, atMs }`. A message to another CPU is
 * handed on once: its hop into the far mailbox (a second `send` event, on the far CPU, caused by the
 * first) is not a message of its own (see MessageHops). With nobody following, nothing is watched
 * (the event stream costs one branch per event again). The page draws the flow as a sequence diagram,
 * and gives it as Mermaid text (`flowsToMermaid`).
 *
 * @example
 * ```ts
 * const flows = new MessageFlows(kernel.events, (page, message) => page.send(JSON.stringify(message)));
 * flows.follow(page, [ping.pid, pong.pid]);
 * flows.leave(page);
 * ```
 */
import type { KernelEvent } from '../actors/runtime/events.js';
import { MessageHops } from '../actors/runtime/message-hops.js';
import { formatPid } from '../ground/pid.js';

/** The most actors one page follows at once. */
export const followedActorsMax = 32;

export interface FlowMessage {
  readonly type: 'flow';
  readonly from: string;
  readonly to: string;
  readonly messageType: string;
  readonly atMs: number;
}

export class MessageFlows<TPage> {
  private readonly following = new Map<TPage, ReadonlySet<number>>();
  private subscription: { unsubscribe(): void } | null = null;
  private hops = new MessageHops();

  constructor(
    private readonly events: { subscribe(observer: (event: KernelEvent) => void): { unsubscribe(): void } } | undefined,
    private readonly send: (page: TPage, message: FlowMessage) => void,
  ) {}

  /** `page` follows these actors now (none: it stops following). */
  follow(page: TPage, pids: readonly number[]): void {
    if (pids.length > followedActorsMax) throw new RangeError(`a page follows at most ${followedActorsMax} actors, asked for ${pids.length}`);
    if (pids.length === 0) this.following.delete(page);
    else this.following.set(page, new Set(pids));
    this.watchWhileFollowed();
  }

  leave(page: TPage): void {
    this.following.delete(page);
    this.watchWhileFollowed();
  }

  private watchWhileFollowed(): void {
    if (this.following.size > 0 && this.subscription === null && this.events !== undefined) {
      this.hops = new MessageHops();
      this.subscription = this.events.subscribe((event) => {
        if (event.kind !== 'send') return;
        let pages: TPage[] | null = null;
        for (const [page, pids] of this.following) if (pids.has(event.from) && pids.has(event.to)) (pages ??= []).push(page);
        // Only the sends some page follows are told from hops: a message and its hop share both ends.
        if (pages === null || this.hops.isHop(event)) return;
        const flow: FlowMessage = { type: 'flow', from: formatPid(event.from), to: formatPid(event.to), messageType: event.messageType, atMs: event.atMs };
        for (const page of pages) this.send(page, flow);
      });
    } else if (this.following.size === 0 && this.subscription !== null) {
      this.subscription.unsubscribe();
      this.subscription = null;
    }
  }
}

/**
 * Flows as a Mermaid `sequenceDiagram`, in the order given: a participant per actor, in the order
 * it first appears, shown as `nameOf(pid)` and its pid; an arrow per message, labelled with its type.
 * Names and types are made text Mermaid shows as it is (its syntax and markup characters as entity
 * codes).
 *
 * The page runs this function's own source (`toString`), so it refers to nothing outside itself and
 * binds no function to a name inside: a bundler that keeps names (esbuild's `keepNames`) wraps such
 * a function in a helper of its module, which the page would not have.
 *
 * @example
 * ```ts
 * flowsToMermaid([{ type: 'flow', from: '<0.8.1>', to: '<0.9.1>', messageType: 'ball', atMs: 20 }], (pid) => names.get(pid) ?? '');
 * // sequenceDiagram
 * //   participant p0 as ping #60;0.8.1#62;
 * //   participant p1 as pong #60;0.9.1#62;
 * //   p0->>p1: ball
 * ```
 */
export function flowsToMermaid(flows: readonly FlowMessage[], nameOf: (pid: string) => string): string {
  const ids = new Map<string, string>();
  const participants: string[] = [];
  const arrows: string[] = [];
  for (const flow of flows) {
    for (const pid of [flow.from, flow.to]) {
      if (ids.has(pid)) continue;
      ids.set(pid, `p${ids.size}`);
      participants.push(`  participant p${ids.size - 1} as ${nameOf(pid)} ${pid}`);
    }
    arrows.push(`  ${ids.get(flow.from)}->>${ids.get(flow.to)}: ${flow.messageType}`);
  }
  // The text after `as ` and after `: ` is what Mermaid shows: made plain, never empty.
  return ['sequenceDiagram', ...participants, ...arrows]
    .map((line, index) => {
      if (index === 0) return line;
      const at = line.startsWith('  participant ') ? line.indexOf(' as ') + 4 : line.indexOf(': ') + 2;
      const shown = line
        .slice(at)
        .replace(/\s+/g, ' ')
        .trim()
        .replace(/[&<>"#;:%{}]/g, (character) => `#${character.charCodeAt(0)};`);
      return line.slice(0, at) + (shown === '' ? '(blank)' : shown);
    })
    .join('\n');
}
