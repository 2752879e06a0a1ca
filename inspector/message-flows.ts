/**
 * The message flow between actors a page follows: while some page follows some actors, the kernel's
 * events are watched, and each message one of them sends to another is handed to the pages that
 * follow both, as `{ type: 'flow', from, to, messageType, atMs }`. With nobody following, nothing is
 * watched (the event stream costs one branch per event again).
 *
 * @example
 * ```ts
 * const flows = new MessageFlows(kernel.events, (page, message) => page.send(JSON.stringify(message)));
 * flows.follow(page, [ping.pid, pong.pid]);
 * flows.leave(page);
 * ```
 */
import type { KernelEvent } from '../actors/runtime/events.js';
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
      this.subscription = this.events.subscribe((event) => {
        if (event.kind !== 'send') return;
        for (const [page, pids] of this.following) {
          if (pids.has(event.from) && pids.has(event.to)) {
            this.send(page, { type: 'flow', from: formatPid(event.from), to: formatPid(event.to), messageType: event.messageType, atMs: event.atMs });
          }
        }
      });
    } else if (this.following.size === 0 && this.subscription !== null) {
      this.subscription.unsubscribe();
      this.subscription = null;
    }
  }
}
