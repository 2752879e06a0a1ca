/**
 * `MemcachedSession`: one client connection's side of memcached's text protocol, without I/O. The
 * net layer hands it each chunk it reads and writes back what it returns; the session parses the
 * stream (RequestParser), runs each complete command (MemcachedExecutor) and encodes the replies.
 * It keeps only the parser's partial request between chunks.
 */
import { ReplyWriter } from '../../protocols/memcached/replies.js';
import { RequestParser } from '../../protocols/memcached/request-parser.js';
import { type ExecutorOptions, MemcachedExecutor } from './execute.js';

/**
 * A session runs on a server's executor (share one among a server's sessions, so that `stats` and
 * the meta marks are the server's), or on a store, clocks and server figures of its own.
 */
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
  private readonly writer = new ReplyWriter();
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
    for (const request of this.parser.parse(bytes)) {
      if (request.kind === 'error') {
        if (request.reply !== null) this.writer.line(request.reply);
        this.isClosed ||= request.close;
      } else if (request.command.type === 'quit') {
        this.isClosed = true;
      } else {
        this.executor.execute(request.command, this.writer);
      }
    }
    counters.bytes_written += this.writer.byteLength;
    return { replies: this.writer.take(), close: this.isClosed };
  }
}
