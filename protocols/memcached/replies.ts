/**
 * Encoding memcached's replies: text lines (`STORED`, `VALUE k 0 5`, `HD c3 Oabc`) and data blocks,
 * gathered into as few byte arrays as a reply needs. Lines are latin1 text, like keys; a data
 * block is passed through without copying, so a `get` of a large value costs no copy of it here.
 *
 * @example
 * ```ts
 * const writer = new ReplyWriter();
 * writer.value(`VALUE ${key} ${item.flags} ${bytes.byteLength}`, bytes);
 * writer.line('END');
 * socket.write(writer.take()); // [bytes of "VALUE … \r\n", bytes, bytes of "\r\nEND\r\n"]
 * ```
 */
import { writeLatin1 } from './latin1.js';

/** memcached's fixed reply lines. */
export const replyLine = {
  stored: 'STORED',
  notStored: 'NOT_STORED',
  exists: 'EXISTS',
  notFound: 'NOT_FOUND',
  deleted: 'DELETED',
  touched: 'TOUCHED',
  end: 'END',
  ok: 'OK',
  reset: 'RESET',
  error: 'ERROR',
  tooLarge: 'SERVER_ERROR object too large for cache',
  outOfMemory: 'SERVER_ERROR out of memory storing object',
  outOfMemoryWriting: 'SERVER_ERROR out of memory writing get response',
  nonNumeric: 'CLIENT_ERROR cannot increment or decrement non-numeric value',
  badDataChunk: 'CLIENT_ERROR bad data chunk',
  badFormat: 'CLIENT_ERROR bad command line format',
} as const;

/** Collects one or more replies: text waits in a string until a data block or `take` turns it into bytes. */
export class ReplyWriter {
  private text = '';
  private chunks: Uint8Array[] = [];
  private bytes = 0;

  /** Bytes written since the last `take`. */
  get byteLength(): number {
    return this.bytes + this.text.length;
  }

  /** Appends `line` and its `\r\n`. */
  line(line: string): void {
    this.text += `${line}\r\n`;
  }

  /** Appends `line`, then the data block `data` and its `\r\n`. `data` is kept, not copied: do not change it later. */
  value(line: string, data: Uint8Array): void {
    this.text += `${line}\r\n`;
    this.flushText();
    this.chunks.push(data);
    this.bytes += data.byteLength;
    this.text = '\r\n';
  }

  /** Everything written since the last `take`, as byte arrays in order (none if nothing was written). */
  take(): Uint8Array[] {
    this.flushText();
    const chunks = this.chunks;
    this.chunks = [];
    this.bytes = 0;
    return chunks;
  }

  private flushText(): void {
    if (this.text.length === 0) return;
    const encoded = new Uint8Array(this.text.length);
    writeLatin1(this.text, encoded, 0);
    this.chunks.push(encoded);
    this.bytes += encoded.byteLength;
    this.text = '';
  }
}
