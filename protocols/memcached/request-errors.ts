/**
 * What the parser yields for a request memcached refuses: the exact line memcached answers (null
 * when it answers nothing: a `noreply` command, or a connection it drops) and whether it closes
 * the connection. A refused request is an answer to send, not an exception: the parser never
 * throws, and a hostile client sending junk must not cost a stack trace per line.
 *
 * @example
 * ```ts
 * for (const request of parser.parse(bytes)) {
 *   if (request.kind === 'error') {
 *     if (request.reply !== null) send(request.reply + '\r\n');
 *     if (request.close) closeConnection();
 *   }
 * }
 * ```
 */

/**
 * Why a request was refused:
 * - `unknown-command`: memcached's `ERROR`;
 * - `bad-format`: `CLIENT_ERROR bad command line format` and the other CLIENT_ERRORs of a line;
 * - `bad-data-chunk`: a data block not followed by `\r\n`;
 * - `unsupported`: a command memcached has that this server does not run (shutdown, watch);
 * - `line-too-long`: a line without its newline past memcached's bound; the connection closes;
 * - `http`: an HTTP request line, which memcached drops the connection on.
 */
export type RequestErrorCode = 'unknown-command' | 'bad-format' | 'bad-data-chunk' | 'unsupported' | 'line-too-long' | 'http';

/** A request memcached refuses. */
export interface RequestError {
  readonly kind: 'error';
  readonly code: RequestErrorCode;
  /** memcached's answer, without its `\r\n`; null when it sends none. */
  readonly reply: string | null;
  /** Whether memcached closes the connection (after sending `reply`, if any). */
  readonly close: boolean;
}

/** A refusal answered with `reply`, unless the command said `noreply`. */
export function refusal(code: RequestErrorCode, reply: string, noreply = false): RequestError {
  return { kind: 'error', code, reply: noreply ? null : reply, close: false };
}

/** A refusal memcached answers by closing the connection, silently. */
export function connectionDropped(code: RequestErrorCode): RequestError {
  return { kind: 'error', code, reply: null, close: true };
}
