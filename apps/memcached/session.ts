/**
 * `MemcachedSession`: one client connection's side of memcached's text protocol, without I/O. The
 * net layer hands it each chunk it reads and writes back what it returns; the session parses the
 * stream (RequestParser), runs each complete command (MemcachedExecutor) and encodes the replies.
 *
 * Replies leave when memcached 1.6.18 would send them, because a client can tell: memcached queues
 * replies and writes them out only after a get or an `mn`, after 20 requests, or once it has
 * nothing left to read but a partial line. Until then they can be lost: a get naming a key over 250
 * bytes drops every queued reply, a dropped connection (an overlong line, an HTTP request) sends
 * none, and a connection waiting for a data block sends nothing meanwhile. Queued replies also keep
 * the items an `mg` found referenced, which changes how incr and decr rewrite them.
 */
import { ReplyWriter, replyLine } from '../../protocols/memcached/replies.js';
import { RequestParser } from '../../protocols/memcached/request-parser.js';
import { type ExecutorOptions, MemcachedExecutor } from './execute.js';
import { repliesBytesMax } from './limits.js';

/**
 * A session runs on a server's executor (share one among a server's sessions, so that `stats` and
 * the meta marks are the server's), or on a store, clocks and server figures of its own.
 */
/** Requests memcached runs per turn of its event loop (settings.reqs_per_event). */
const requestsPerRead = 20;

export type MemcachedSessionOptions = { readonly executor: MemcachedExecutor } | ExecutorOptions;

/** What one chunk produced: the bytes to write, in order, and whether to close after writing them. */
export interface SessionOutput {
  readonly replies: Uint8Array[];
  readonly close: boolean;
}

/**
 * One connection's protocol state.
 *
 * @example
 * ```ts
 * const executor = new MemcachedExecutor({ store, now: () => clock.now(), unixNowS: () => wallClockS(), server });
 * const session = new MemcachedSession({ executor });
 * socket.on('data', (chunk) => {
 *   const { replies, close } = session.receive(chunk);
 *   for (const reply of replies) socket.write(reply);
 *   if (close) socket.end();
 * });
 * ```
 */
export class MemcachedSession {
  readonly executor: MemcachedExecutor;
  private readonly parser: RequestParser;
  /** Replies queued and not yet sent. */
  private readonly writer = new ReplyWriter();
  /** The items queued replies reference (see `MemcachedExecutor.execute`). */
  private holds: string[] = [];
  private isClosed = false;

  constructor(options: MemcachedSessionOptions) {
    this.executor = 'executor' in options ? options.executor : new MemcachedExecutor(options);
    this.parser = new RequestParser({ itemBytesMax: this.executor.context.store.itemBytesMax });
  }

  /** Whether the session asked to close (quit, a line memcached drops the connection on): it ignores later bytes. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Bytes of a partial request held until more arrive. */
  get bufferedBytes(): number {
    return this.parser.bufferedBytes;
  }

  /** Takes the next chunk the client sent; returns what to write back and whether to close then. */
  receive(bytes: Uint8Array): SessionOutput {
    if (this.isClosed) return { replies: [], close: true };
    const counters = this.executor.context.counters;
    counters.bytes_read += bytes.byteLength;
    const sent: Uint8Array[] = [];
    let sentBytes = 0;
    const send = (): void => {
      for (const reply of this.writer.take()) {
        sent.push(reply);
        sentBytes += reply.byteLength;
      }
      this.release();
    };
    let budget = requestsPerRead;
    for (const request of this.parser.parse(bytes)) {
      if (request.kind === 'error') {
        if (request.close) {
          // memcached closes at once: what it had queued is never sent.
          this.writer.take();
          this.release();
          this.isClosed = true;
          break;
        }
        if (request.reply !== null) this.writer.line(request.reply);
      } else if (request.command.type === 'quit') {
        send();
        this.isClosed = true;
        break;
      } else {
        const command = request.command;
        this.executor.execute(command, this.writer, this.holds);
        if (sentBytes + this.writer.byteLength > repliesBytesMax) {
          // The chunk asked for more than a connection may be answered at once (see repliesBytesMax).
          sent.length = 0;
          this.writer.take();
          this.release();
          this.writer.line(replyLine.outOfMemoryWriting);
          send();
          this.isClosed = true;
          break;
        }
        if ('keyTooLong' in command && command.keyTooLong) {
          this.writer.take();
          this.release();
          this.writer.line(replyLine.badFormat);
        } else if (command.type === 'get' || command.type === 'gets' || command.type === 'gat' || command.type === 'gats' || command.type === 'mn') {
          send();
        }
      }
      // memcached runs 20 requests per turn; then it sends what it queued and takes another turn, the first request of which is spent resuming.
      if (--budget < 0) {
        send();
        budget = requestsPerRead - 1;
      }
    }
    if (!this.isClosed && !this.parser.awaitingData) send();
    for (const reply of sent) counters.bytes_written += reply.byteLength;
    return { replies: sent, close: this.isClosed };
  }

  /** Queued replies are gone (sent or dropped): the items they referenced are free. */
  private release(): void {
    if (this.holds.length === 0) return;
    this.executor.release(this.holds);
    this.holds = [];
  }
}
