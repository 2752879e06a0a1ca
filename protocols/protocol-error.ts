/**
 * `ProtocolError`: the one error the protocol layer throws for bad input.
 *
 * Bytes that arrive from another CPU are untrusted, and so is a value handed to `validate`. Every
 * way such input can be wrong maps to one stable `code`, so a receiver can count, log or drop bad
 * frames without parsing messages. Broken invariants inside this module are programmer errors and
 * stay `InvariantError` (see `ground/assert.ts`); they are never dressed up as this class.
 */
import { errorDetailLengthMax } from './limits.js';

/**
 * What was wrong with the input:
 * - `truncated`: the frame ends in the middle of a value (more bytes would have been needed);
 * - `malformed`: the bytes are not valid MessagePack for this codec, or a value breaks a rule
 *   other than its type (unexpected field, lone surrogate, unknown record structure);
 * - `unknown-type`: a well-formed message whose `type` no registered descriptor declares;
 * - `wrong-field-type`: a field holds a value of the wrong kind;
 * - `missing-field`: a required field is absent;
 * - `too-large`: a frame, string, array, object, nesting depth or value count exceeds `limits.ts`;
 * - `not-a-message`: the value is not a plain object with a string `type`.
 */
export type ProtocolErrorCode = 'truncated' | 'malformed' | 'unknown-type' | 'wrong-field-type' | 'missing-field' | 'too-large' | 'not-a-message';

/**
 * Thrown by `validate`, `encode` and `decode` when input breaks the protocol. `detail` says where:
 * a field path such as `body.items[3]`, `frame` for byte-level problems, or `''` for the message as
 * a whole.
 *
 * @example
 * ```ts
 * try {
 *   codec.decode(bytes);
 * } catch (error) {
 *   if (error instanceof ProtocolError && error.code === 'truncated') waitForMoreBytes();
 *   else throw error;
 * }
 * ```
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  readonly detail: string;

  constructor(code: ProtocolErrorCode, detail: string, explanation: string, options?: { cause?: unknown }) {
    // Both texts can quote untrusted input (a 16 KiB type string, a hostile key), so they are
    // clipped: an error message must not become a way to amplify a frame into the logs.
    const where = clipText(detail);
    super(`${code}${where === '' ? '' : ` at ${where}`}: ${clipText(explanation)}`, options);
    this.code = code;
    this.detail = where;
  }
}

/** Shortens `text` to `errorDetailLengthMax` characters, marking the cut. */
export function clipText(text: string): string {
  if (text.length <= errorDetailLengthMax) return text;
  return `${text.slice(0, errorDetailLengthMax - 1)}…`;
}

/**
 * A short description of a thrown value that cannot itself throw: the value may be a hostile proxy
 * or an object whose `message` getter throws, and describing it must not replace the original
 * failure with a new one.
 */
export function describeThrown(thrown: unknown): string {
  try {
    if (thrown instanceof Error) return clipText(`${thrown.name}: ${String(thrown.message)}`);
    return clipText(typeof thrown === 'string' ? thrown : typeof thrown);
  } catch {
    return 'an unprintable value';
  }
}
