/**
 * Bounds of memcached's text protocol, units last, checked against each other when the module
 * loads. The numbers are memcached 1.6.18's (memcached.h, proto_text.c), except
 * `getLineBytesMax`: memcached lets a multiget line grow without bound, and we may not.
 */
import { assert } from '../../ground/assert.js';

/** Longest key, in bytes (memcached's KEY_MAX_LENGTH); a base64 key is checked before decoding. */
export const keyBytesMax = 250;
/**
 * Bytes of a command line memcached waits for without seeing its newline (try_read_command_ascii):
 * past them, a line that is not a `get`/`gets` closes the connection, unanswered.
 */
export const commandLineBytesMax = 2_048;
/**
 * Bytes memcached reads at a time (READ_BUFFER_SIZE): a line longer than this, newline included,
 * never lies whole in its buffer, so it closes the connection as a line without a newline does.
 */
export const readBufferBytes = 16_384;
/** Leading spaces memcached skips while deciding whether an overlong line is a multiget. */
export const leadingSpacesMax = 100;
/**
 * Longest multiget line we buffer, in bytes: about a thousand keys of 250 bytes. memcached mallocs
 * without a bound; a longer line here closes the connection, as memcached does when malloc fails.
 */
export const getLineBytesMax = 256 * 1_024;
/** Tokens memcached's tokenizer keeps (MAX_TOKENS − 1); a get reads the rest of its line itself, other commands ignore it. */
export const tokensCountMax = 23;
/** Tokens a meta command may have, counting a final empty one as memcached does, before its flags are too long (MFLAG_MAX_OPT_LENGTH). */
export const metaTokensCountMax = 20;
/** Longest opaque token, in bytes, its `O` included (MFLAG_MAX_OPAQUE_LENGTH). */
export const opaqueBytesMax = 32;
/** Largest relative exptime, in seconds (30 days, REALTIME_MAXDELTA); larger values are unix times. */
export const relativeExptimeSMax = 60 * 60 * 24 * 30;
/** memcached's default largest item, key and value together, in bytes (`-I 1m`). */
export const itemBytesMaxDefault = 1 << 20;
/** Most verbosity memcached keeps (MAX_VERBOSITY_LEVEL); larger levels are clamped. */
export const verbosityLevelMax = 2;

assert(keyBytesMax < commandLineBytesMax, 'a key fits in a command line');
assert(commandLineBytesMax < readBufferBytes && readBufferBytes < getLineBytesMax, 'a read holds a command line, and a multiget line may span reads');
assert(getLineBytesMax >= commandLineBytesMax * 2, 'a multiget line may be longer than any other line');
assert(metaTokensCountMax <= tokensCountMax, 'the meta flag bound lies within the tokenizer bound');
assert(opaqueBytesMax < commandLineBytesMax, 'an opaque token fits in a command line');
assert(relativeExptimeSMax === 2_592_000, 'memcached splits relative from absolute exptimes at 30 days');
assert(itemBytesMaxDefault > keyBytesMax, 'the default item holds a key of any length');
