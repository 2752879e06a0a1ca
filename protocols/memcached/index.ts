/**
 * memcached's text protocol (classic and meta commands), as pure code without I/O: a streaming
 * request parser, the commands it yields, and the writer of replies. What the commands do to a
 * cache lives in apps/memcached.
 *
 * @example
 * ```ts
 * import { RequestParser, ReplyWriter } from '../protocols/memcached/index.js';
 * const parser = new RequestParser();
 * for (const request of parser.parse(chunk)) console.log(request.kind === 'command' ? request.command.type : request.reply);
 * ```
 */
export { base64Decode, base64Encode } from './base64.js';
export type * from './commands.js';
export { type LineOutcome, type PendingStore, parseCommandLine } from './command-line.js';
export { latin1Bytes, latin1Text } from './latin1.js';
export * from './limits.js';
export { type MetaFlagsError, type MetaRequest, parseMetaFlags } from './meta-flags.js';
export { type EncodableCommand, encodeRequest, metaFlags } from './request-encoder.js';
export { connectionDropped, type RequestError, type RequestErrorCode, refusal } from './request-errors.js';
export { type ParsedRequest, RequestParser, type RequestParserOptions } from './request-parser.js';
export { ReplyWriter, replyLine } from './replies.js';
