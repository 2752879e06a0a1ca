/**
 * The streaming side of memcached's text protocol: bytes in, in chunks split anywhere, requests
 * out. It waits for a line's newline, then for a storage command's data block and its `\r\n`, and
 * swallows the data block of a command it refused, as memcached's conn_nread and conn_swallow
 * states do.
 *
 * A chunk is one of memcached's reads, and one thing depends on where chunks end, as it does in
 * memcached 1.6.18 (try_read_command_ascii): a line still without its newline at the end of a
 * chunk closes the connection once it passes `commandLineBytesMax`, unless it is a multiget; a
 * line that came whole is read whatever its length, up to memcached's read buffer.
 *
 * It never throws on input and bounds what it buffers: a line up to `getLineBytesMax` plus one
 * value up to `itemBytesMax` and its `\r\n`.
 */
import { assert } from '../../ground/assert.js';
import { type LineOutcome, type PendingStore, parseCommandLine } from './command-line.js';
import type { Command } from './commands.js';
import { commandLineBytesMax, getLineBytesMax, itemBytesMaxDefault, keyBytesMax, leadingSpacesMax, readBufferBytes } from './limits.js';
import { connectionDropped, type RequestError, refusal } from './request-errors.js';

/** A parsed command, or a request memcached refuses (see `RequestError`). */
export type ParsedRequest = { readonly kind: 'command'; readonly command: Command } | RequestError;

export interface RequestParserOptions {
  /** The largest item, key and value together, in bytes: the store's `itemBytesMax` (default 1 MiB). */
  readonly itemBytesMax?: number;
}

/** Bytes a fresh line buffer holds; it doubles as lines grow, up to `getLineBytesMax` and one byte. */
const lineBufferBytesInitial = 256;
const newline = 0x0a;

/**
 * Parses one connection's request stream.
 *
 * @example
 * ```ts
 * const parser = new RequestParser({ itemBytesMax: store.itemBytesMax });
 * for (const request of parser.parse(chunk)) {
 *   if (request.kind === 'command') execute(request.command);
 *   else if (request.reply !== null) send(`${request.reply}\r\n`);
 * }
 * ```
 */
export class RequestParser {
  readonly itemBytesMax: number;
  private lineBuffer = new Uint8Array(lineBufferBytesInitial);
  private lineLength = 0;
  /** The storage command whose data block is being read, and the block so far (value and `\r\n`). */
  private pending: PendingStore | null = null;
  private dataBuffer: Uint8Array | null = null;
  private dataLength = 0;
  /** Bytes of a refused command's data block still to skip. */
  private swallowBytes = 0;
  private isClosed = false;

  constructor(options: RequestParserOptions = {}) {
    this.itemBytesMax = options.itemBytesMax ?? itemBytesMaxDefault;
    assert(Number.isInteger(this.itemBytesMax) && this.itemBytesMax > keyBytesMax, 'an item holds at least a key of the longest length');
  }

  /** Whether the connection is to close: every later byte is ignored. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Whether a data block is being read or swallowed: memcached sends no reply while it waits for one. */
  get awaitingData(): boolean {
    return this.pending !== null || this.swallowBytes > 0;
  }

  /** Bytes held between calls: a partial line and a partial data block. */
  get bufferedBytes(): number {
    return this.lineLength + this.dataLength;
  }

  /** The requests `chunk` completes, in order. The chunk is not kept: values are copied out of it. */
  parse(chunk: Uint8Array): ParsedRequest[] {
    const requests: ParsedRequest[] = [];
    let offset = 0;
    while (offset < chunk.byteLength && !this.isClosed) {
      if (this.swallowBytes > 0) {
        const skipped = Math.min(this.swallowBytes, chunk.byteLength - offset);
        this.swallowBytes -= skipped;
        offset += skipped;
      } else if (this.pending !== null) {
        offset = this.readData(chunk, offset, requests);
      } else {
        offset = this.readLine(chunk, offset, requests);
      }
    }
    return requests;
  }

  private readLine(chunk: Uint8Array, offset: number, requests: ParsedRequest[]): number {
    const found = chunk.indexOf(newline, offset);
    if (found < 0) {
      this.appendToLine(chunk.subarray(offset));
      if (this.lineLength > commandLineBytesMax && !this.mayGrow(this.lineBuffer.subarray(0, this.lineLength))) this.close(requests);
      return chunk.byteLength;
    }
    let line: Uint8Array;
    if (this.lineLength === 0) {
      line = chunk.subarray(offset, found + 1);
    } else {
      this.appendToLine(chunk.subarray(offset, found + 1));
      line = this.lineBuffer.subarray(0, this.lineLength);
    }
    // A whole line longer than memcached's read buffer cannot be; only a multiget grows past it.
    if (line.byteLength > readBufferBytes && !this.mayGrow(line.subarray(0, line.byteLength - 1))) {
      this.close(requests);
      return chunk.byteLength;
    }
    this.lineLength = 0;
    if (this.lineBuffer.byteLength > commandLineBytesMax) this.lineBuffer = new Uint8Array(lineBufferBytesInitial);
    this.follow(parseCommandLine(line, this.itemBytesMax), requests);
    return found + 1;
  }

  /** Copies `bytes` after the partial line, at most up to one byte past the bound (which closes). */
  private appendToLine(bytes: Uint8Array): void {
    const room = getLineBytesMax + 1 - this.lineLength;
    const taken = bytes.byteLength > room ? bytes.subarray(0, room) : bytes;
    const needed = this.lineLength + taken.byteLength;
    if (needed > this.lineBuffer.byteLength) {
      let size = this.lineBuffer.byteLength;
      while (size < needed) size *= 2;
      const grown = new Uint8Array(Math.min(size, getLineBytesMax + 1));
      grown.set(this.lineBuffer.subarray(0, this.lineLength));
      this.lineBuffer = grown;
    }
    this.lineBuffer.set(taken, this.lineLength);
    this.lineLength = needed;
  }

  /**
   * Whether a line of `content` (no newline) past `commandLineBytesMax` may go on: memcached lets
   * only a multiget grow, `get ` or `gets ` after at most 100 spaces; we bound even that.
   */
  private mayGrow(content: Uint8Array): boolean {
    if (content.byteLength > getLineBytesMax) return false;
    let start = 0;
    while (start < content.byteLength && content[start] === 0x20) start++;
    if (start > leadingSpacesMax) return false;
    return startsWith(content, start, 'get ') || startsWith(content, start, 'gets ');
  }

  private follow(outcome: LineOutcome, requests: ParsedRequest[]): void {
    if (outcome.kind === 'data') {
      this.pending = outcome.pending;
      this.dataBuffer = new Uint8Array(outcome.valueBytes + 2);
      this.dataLength = 0;
      return;
    }
    requests.push(outcome.kind === 'command' ? { kind: 'command', command: outcome.command } : outcome.error);
    if (outcome.kind === 'command' && outcome.command.type === 'quit') this.isClosed = true;
    if (outcome.kind === 'error' && outcome.error.close) this.isClosed = true;
    this.swallowBytes = outcome.swallowBytes;
  }

  private readData(chunk: Uint8Array, offset: number, requests: ParsedRequest[]): number {
    const buffer = this.dataBuffer!;
    const taken = Math.min(buffer.byteLength - this.dataLength, chunk.byteLength - offset);
    buffer.set(chunk.subarray(offset, offset + taken), this.dataLength);
    this.dataLength += taken;
    if (this.dataLength === buffer.byteLength) this.completeData(requests);
    return offset + taken;
  }

  private completeData(requests: ParsedRequest[]): void {
    const pending = this.pending!;
    const buffer = this.dataBuffer!;
    this.pending = null;
    this.dataBuffer = null;
    this.dataLength = 0;
    const valueBytes = buffer.byteLength - 2;
    if (buffer[valueBytes] !== 0x0d || buffer[valueBytes + 1] !== newline) {
      requests.push(refusal('bad-data-chunk', 'CLIENT_ERROR bad data chunk', pending.noreply));
      return;
    }
    // The buffer was allocated for this block alone, so the command may own a view of it.
    const value = buffer.subarray(0, valueBytes);
    requests.push({ kind: 'command', command: withValue(pending, value) });
  }

  private close(requests: ParsedRequest[]): void {
    requests.push(connectionDropped('line-too-long'));
    this.isClosed = true;
    this.lineLength = 0;
    this.lineBuffer = new Uint8Array(0);
  }
}

function startsWith(bytes: Uint8Array, start: number, text: string): boolean {
  if (bytes.byteLength - start < text.length) return false;
  for (let index = 0; index < text.length; index++) if (bytes[start + index] !== text.charCodeAt(index)) return false;
  return true;
}

/** The command `pending` was waiting for, now that its data block came. */
function withValue(pending: PendingStore, value: Uint8Array): Command {
  if (pending.type === 'ms') return { type: 'ms', key: pending.key, mode: pending.mode, value, flags: pending.flags };
  return { ...pending, value };
}
