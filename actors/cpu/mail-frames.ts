/**
 * The two frames that carry actor mail between CPUs, `kernel.envelope` and `kernel.reply`, with
 * their routing fields laid out by hand in front of a msgpackr-encoded body. They are nearly every
 * frame a busy interconnect carries, and packing them as whole kernel messages cost more than the
 * body itself: msgpackr wrote the type string and the record's fields (about 135 ns of 300 ns per
 * small message, measured), and the schema walked the envelope again. Here the header is three
 * stores, and only the body goes through msgpackr and the plain-data check.
 *
 * Layout (little-endian; pids, ask ids and event ids are safe integers, so float64 holds them exactly):
 * ```
 * envelope         0xc1 0x01 | to f64 | from f64 | askId f64 | body
 * traced envelope  0xc1 0x41 | to f64 | from f64 | askId f64 | cause f64 | body
 * timed envelope   0xc1 0x21 | to f64 | from f64 | askId f64 | deadline u32 | [cause f64 if 0x40] | body
 * reply            0xc1 0x02 | askId f64 | to f64 | ok u8    | body
 * ```
 * The kind byte's high bit says that the body holds refs (see wire-refs.ts), so the receiver walks
 * only those bodies to turn them back into refs. Its 0x40 bit says that the envelope carries the
 * id of the sender's `send` event, its `cause` on the receiving CPU: a sender that traces writes it,
 * so the causal chain crosses CPUs, and one that does not pays nothing for it. Its 0x20 bit says that
 * the envelope, an ask, carries the ms left before the asker gives up: the receiving CPU waits for
 * the answer that long, not its own default.
 * 0xc1 is the one byte msgpack never uses, so such a frame cannot be mistaken for a msgpackr-encoded
 * kernel message, which the same rings carry for everything else (spawns, stops, structure syncs).
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import type { Codec } from '../../protocols/codec.js';
import { ProtocolError } from '../../protocols/protocol-error.js';
import { KERNEL_ENVELOPE, KERNEL_REPLY, type KernelEnvelope, type KernelReply } from '../../protocols/runtime.js';
import type { AnyMessage } from '../../protocols/schema.js';

/** First byte of a mail frame: reserved by msgpack ("never used"). */
export const mailFrameMarker = 0xc1;
const envelopeKind = 1;
const replyKind = 2;
const holdsRefsBit = 0x80;
const tracedBit = 0x40;
const timedBit = 0x20;
/** Bytes before an envelope's body. */
export const envelopeHeaderBytes = 26;
/** Bytes before a traced envelope's body: the cause follows the routing fields. */
export const tracedEnvelopeHeaderBytes = envelopeHeaderBytes + 8;
/** Bytes an ask's deadline adds to an envelope's header. */
const deadlineBytes = 4;
/** The longest ask deadline an envelope carries, in ms (a u32): about 49 days. */
export const envelopeDeadlineMsMax = 2 ** 32 - 1;

/** Bytes before the body of the largest envelope header: traced, and an ask's with a deadline. */
export const envelopeHeaderBytesMax = tracedEnvelopeHeaderBytes + deadlineBytes;

/** Bytes before the body of an envelope that carries a cause (traced) and a deadline (an ask's), or neither. */
export function envelopeHeaderBytesOf(cause: number, deadlineMs: number): number {
  return (cause === 0 ? envelopeHeaderBytes : tracedEnvelopeHeaderBytes) + (deadlineMs === 0 ? 0 : deadlineBytes);
}

/** An envelope as a traced mail frame delivers it: with the id of its `send` event on the sending CPU. */
export type TracedEnvelope = KernelEnvelope & { readonly cause: number };
/** An ask's envelope as a timed mail frame delivers it: with the ms left before its asker gives up. */
export type TimedEnvelope = KernelEnvelope & { readonly deadlineMs: number };
/** Bytes before a reply's body. */
export const replyHeaderBytes = 19;

/**
 * Writes an envelope's header in `view` at byte `at`; the body goes at
 * `at + envelopeHeaderBytesOf(cause, deadlineMs)`. `cause` is the id of the sender's `send` event
 * (0: untraced), `deadlineMs` the ms an ask has left (0: none, or not an ask).
 */
export function writeEnvelopeHeader(
  view: DataView,
  at: number,
  to: number,
  from: number,
  askId: number,
  bodyHoldsRefs = false,
  cause = 0,
  deadlineMs = 0,
): void {
  assert(isPid(to) && isPid(from) && isPid(askId) && isPid(cause), 'an envelope carries pids, an ask id and an event id that are non-negative safe integers');
  if (!(deadlineMs === 0 || (askId !== 0 && Number.isInteger(deadlineMs) && deadlineMs > 0 && deadlineMs <= envelopeDeadlineMsMax))) {
    invariantBroken(`only an ask carries a deadline, a whole number of ms in 1..${envelopeDeadlineMsMax}; got ${deadlineMs}`);
  }
  const kind = envelopeKind | (cause === 0 ? 0 : tracedBit) | (deadlineMs === 0 ? 0 : timedBit);
  view.setUint8(at, mailFrameMarker);
  view.setUint8(at + 1, bodyHoldsRefs ? kind | holdsRefsBit : kind);
  view.setFloat64(at + 2, to, true);
  view.setFloat64(at + 10, from, true);
  view.setFloat64(at + 18, askId, true);
  let next = at + envelopeHeaderBytes;
  if (deadlineMs !== 0) {
    view.setUint32(next, deadlineMs, true);
    next += deadlineBytes;
  }
  if (cause !== 0) view.setFloat64(next, cause, true);
}

/** Writes a reply's header in `view` at byte `at`; the body goes at `at + replyHeaderBytes`. */
export function writeReplyHeader(view: DataView, at: number, askId: number, to: number, ok: boolean, bodyHoldsRefs = false): void {
  assert(isPid(askId) && isPid(to), 'a reply carries an ask id and a pid that are non-negative safe integers');
  view.setUint8(at, mailFrameMarker);
  view.setUint8(at + 1, bodyHoldsRefs ? replyKind | holdsRefsBit : replyKind);
  view.setFloat64(at + 2, askId, true);
  view.setFloat64(at + 10, to, true);
  view.setUint8(at + 18, ok ? 1 : 0);
}

/**
 * Reads the mail frame in `bytes[0 .. length)` (`view` over the same memory) as the kernel message
 * it stands for; a body that holds refs goes through `resolveRefs` (without it, refs stay in their
 * wire form). Throws ProtocolError for a frame that is truncated, of an unknown kind, or whose
 * routing fields are not what a kernel writes.
 */
export function readMailFrame(
  codec: Codec<AnyMessage>,
  view: DataView,
  bytes: Uint8Array,
  length: number,
  resolveRefs?: (body: unknown) => unknown,
): KernelEnvelope | TracedEnvelope | TimedEnvelope | KernelReply {
  if (bytes[0] !== mailFrameMarker) invariantBroken('readMailFrame: not a mail frame');
  if (view !== checkedView || bytes !== checkedBytes) checkSameMemory(view, bytes);
  const flags = length >= 2 ? bytes[1]! : undefined;
  const kind = flags === undefined ? undefined : flags & ~holdsRefsBit;
  const resolve = flags !== undefined && (flags & holdsRefsBit) !== 0 ? resolveRefs : undefined;
  if (kind !== undefined && (kind & ~(tracedBit | timedBit)) === envelopeKind) {
    const traced = (kind & tracedBit) !== 0;
    const timed = (kind & timedBit) !== 0;
    const headerBytes = (traced ? tracedEnvelopeHeaderBytes : envelopeHeaderBytes) + (timed ? deadlineBytes : 0);
    if (length <= headerBytes) throw truncated(traced ? 'traced envelope' : 'envelope');
    const to = pidAt(view, 2, 'to');
    const from = pidAt(view, 10, 'from');
    const askId = pidAt(view, 18, 'askId');
    const deadlineMs = timed ? view.getUint32(envelopeHeaderBytes, true) : 0;
    if (timed && (askId === 0 || deadlineMs === 0)) throw new ProtocolError('malformed', 'deadline', 'only an ask carries a deadline, and it is at least 1 ms');
    const cause = traced ? pidAt(view, envelopeHeaderBytes + (timed ? deadlineBytes : 0), 'cause') : 0;
    const raw = codec.decodeDataRange(bytes, headerBytes, length, 'body');
    const body = resolve === undefined ? raw : resolve(raw);
    // Written out, not spread: every ask's envelope is timed, and a spread into a literal is a
    // call into the runtime's object cloning.
    if (!traced) return timed ? { type: KERNEL_ENVELOPE, to, from, askId, body, deadlineMs } : { type: KERNEL_ENVELOPE, to, from, askId, body };
    return timed ? { type: KERNEL_ENVELOPE, to, from, askId, body, cause, deadlineMs } : { type: KERNEL_ENVELOPE, to, from, askId, body, cause };
  }
  if (kind === replyKind) {
    if (length <= replyHeaderBytes) throw truncated('reply');
    const askId = pidAt(view, 2, 'askId');
    const to = pidAt(view, 10, 'to');
    const ok = view.getUint8(18);
    if (ok > 1) throw new ProtocolError('wrong-field-type', 'ok', `expected 0 or 1, got ${ok}`);
    const body = codec.decodeDataRange(bytes, replyHeaderBytes, length, 'body');
    return { type: KERNEL_REPLY, askId, to, ok: ok === 1, body: resolve === undefined ? body : resolve(body) };
  }
  if (kind === undefined) throw truncated('mail');
  throw new ProtocolError('malformed', 'frame', `unknown mail frame kind ${kind}`);
}

/**
 * The last view and bytes found to be over the same memory: a port reads every frame from one
 * scratch copy, and reading `.buffer` of a typed array and of a view is a call into the runtime
 * (about 250 instructions a frame, counted), so the pair is checked once.
 */
let checkedView: DataView | null = null;
let checkedBytes: Uint8Array | null = null;

function checkSameMemory(view: DataView, bytes: Uint8Array): void {
  if (!(bytes.buffer === view.buffer && bytes.byteOffset === view.byteOffset)) invariantBroken('readMailFrame: the view must start where the bytes start');
  checkedView = view;
  checkedBytes = bytes;
}

function pidAt(view: DataView, offset: number, field: string): number {
  const value = view.getFloat64(offset, true);
  if (!isPid(value)) throw new ProtocolError('wrong-field-type', field, `expected a non-negative safe integer, got ${value}`);
  return value;
}

function isPid(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function truncated(what: string): ProtocolError {
  return new ProtocolError('truncated', 'frame', `the ${what} frame ends inside its header`);
}
