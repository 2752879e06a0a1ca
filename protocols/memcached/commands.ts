/**
 * The requests of memcached's text protocol, parsed: classic commands (get, set, incr…) and meta
 * commands (mg, ms, md, ma, mn, me). A command holds what its line and data block said, checked
 * for syntax; what it means for the cache is the executor's business (apps/memcached/execute.ts).
 *
 * Keys are latin1 strings: one character per byte, so any key, a decoded base64 one included,
 * round-trips to its bytes and its `length` is its length in bytes. Numbers that memcached keeps
 * in 64 bits (cas uniques, deltas) are bigints; 32-bit ones are numbers.
 *
 * @example
 * ```ts
 * const command: Command = { type: 'set', key: 'user:1', flags: 0, exptime: 0, value: bytes, noreply: false };
 * if (command.type === 'get') for (const key of command.keys) lookUp(key);
 * ```
 */

/** The verbs of classic storage commands that carry no cas unique. */
export type StoreVerb = 'set' | 'add' | 'replace' | 'append' | 'prepend';

/** `set|add|replace|append|prepend <key> <flags> <exptime> <bytes> [noreply]` and its data block. */
export interface StoreCommand {
  readonly type: StoreVerb;
  readonly key: string;
  /** The client's 32-bit flags. */
  readonly flags: number;
  /** Seconds: 0 never, negative already expired, above 30 days a unix time. */
  readonly exptime: number;
  /** The data block, without its `\r\n`; the command owns it. */
  readonly value: Uint8Array;
  readonly noreply: boolean;
}

/** `cas <key> <flags> <exptime> <bytes> <cas unique> [noreply]` and its data block. */
export interface CasCommand {
  readonly type: 'cas';
  readonly key: string;
  readonly flags: number;
  readonly exptime: number;
  readonly value: Uint8Array;
  /** The unique the client read with `gets`. */
  readonly unique: bigint;
  readonly noreply: boolean;
}

/**
 * `get|gets <key>*`: the values of the keys found, with their cas uniques for `gets`. When a key
 * was longer than 250 bytes, `keys` are those before it and `keyTooLong` is set: memcached looks
 * them up, then drops every reply not yet sent, theirs included, and answers a CLIENT_ERROR.
 */
export interface GetCommand {
  readonly type: 'get' | 'gets';
  readonly keys: readonly string[];
  readonly keyTooLong?: boolean;
}

/** `gat|gats <exptime> <key>*`: `get`/`gets` that also sets the expiry of the keys found. */
export interface GetAndTouchCommand {
  readonly type: 'gat' | 'gats';
  readonly exptime: number;
  readonly keys: readonly string[];
  /** As for `GetCommand`. */
  readonly keyTooLong?: boolean;
}

/**
 * A storage command whose value exceeded the item limit: its data block was swallowed unread.
 * memcached answers `SERVER_ERROR object too large for cache` and, for `set` and `ms`, forgets the
 * key's old value so that a stale one does not outlive the failed write.
 */
export interface TooLargeCommand {
  readonly type: 'too-large';
  readonly verb: StoreVerb | 'cas' | 'ms';
  readonly key: string;
  readonly noreply: boolean;
}

/** `delete <key> [noreply]`. */
export interface DeleteCommand {
  readonly type: 'delete';
  readonly key: string;
  readonly noreply: boolean;
}

/** `incr|decr <key> <delta> [noreply]`: 64-bit unsigned arithmetic on a decimal value. */
export interface ArithmeticCommand {
  readonly type: 'incr' | 'decr';
  readonly key: string;
  readonly delta: bigint;
  readonly noreply: boolean;
}

/** `touch <key> <exptime> [noreply]`. */
export interface TouchCommand {
  readonly type: 'touch';
  readonly key: string;
  readonly exptime: number;
  readonly noreply: boolean;
}

/** `flush_all [delay] [noreply]`: every item stored until `delay` seconds from now is gone then. */
export interface FlushAllCommand {
  readonly type: 'flush_all';
  /** Seconds, as an exptime: 0 or negative now, above 30 days a unix time. */
  readonly delay: number;
  readonly noreply: boolean;
}

/** `stats [group]`: `args` are the tokens after `stats`. */
export interface StatsCommand {
  readonly type: 'stats';
  readonly args: readonly string[];
}

/** `version`. */
export interface VersionCommand {
  readonly type: 'version';
}

/** `verbosity <level> [noreply]`. */
export interface VerbosityCommand {
  readonly type: 'verbosity';
  readonly level: number;
  readonly noreply: boolean;
}

/** `quit`: the connection closes, unanswered. */
export interface QuitCommand {
  readonly type: 'quit';
}

/** The mode of `ms` (its `M` flag): set, add (E), append, prepend, replace. */
export type MetaSetMode = 'set' | 'add' | 'append' | 'prepend' | 'replace';

/**
 * The flags of a meta command, parsed. `order` lists the flag characters as the request gave them:
 * flags that return data (`c`, `f`, `k`, `O`, `s`, `t`…) answer in that order.
 */
export interface MetaFlags {
  readonly order: string;
  /** The whole `O` token, its `O` included, echoed back as it came; null without one. */
  readonly opaque: string | null;
  /** `b`: the key came base64-encoded (and `k` echoes it so). */
  readonly base64Key: boolean;
  /** `q`: the nominal answer (HD, or EN for mg) is not sent. */
  readonly quiet: boolean;
  /** `v`: return the value. */
  readonly returnValue: boolean;
  /** `u`: do not bump the item in the LRU. */
  readonly noBump: boolean;
  /** `T`: a new exptime, in seconds. */
  readonly ttl: number | null;
  /** `N`: vivify on a miss with this exptime. */
  readonly vivifyTtl: number | null;
  /** `R`: win the right to recache when the remaining TTL is below this, in seconds. */
  readonly recacheTtl: number | null;
  /** `C`: compare with this cas unique. */
  readonly compareCas: bigint | null;
  /** `E`: the cas unique the client asks a modified item to get. memcached 1.6.18 has no `E` (it refuses it), so the parser never sets it. */
  readonly newCas: bigint | null;
  /** `F`: client flags for ms and md's `x` (0 without it). */
  readonly clientFlags: number;
  /** `M`: the mode character, or null. The command checks it (ms: S E A P R; ma: I + D -). */
  readonly mode: string | null;
  /** `D`: ma's delta (1 without it). */
  readonly delta: bigint;
  /** `J`: ma's initial value on a vivifying miss (0 without it). */
  readonly initial: bigint;
  /** `I`: invalidate (md: mark stale; ms: accept an older cas and mark stale). */
  readonly invalidate: boolean;
  /** `x`: md removes the value but keeps the item. memcached 1.6.18 has no `x` (it refuses it), so the parser never sets it. */
  readonly removeValue: boolean;
}

/** `mg <key> <flags>*`. */
export interface MetaGetCommand {
  readonly type: 'mg';
  readonly key: string;
  readonly flags: MetaFlags;
}

/** `ms <key> <datalen> <flags>*` and its data block. */
export interface MetaSetCommand {
  readonly type: 'ms';
  readonly key: string;
  readonly mode: MetaSetMode;
  readonly value: Uint8Array;
  readonly flags: MetaFlags;
}

/** `md <key> <flags>*`. */
export interface MetaDeleteCommand {
  readonly type: 'md';
  readonly key: string;
  readonly flags: MetaFlags;
}

/** `ma <key> <flags>*`. */
export interface MetaArithmeticCommand {
  readonly type: 'ma';
  readonly key: string;
  /** From the `M` flag: I or + increments (the default), D or - decrements. */
  readonly incr: boolean;
  readonly flags: MetaFlags;
}

/** `mn`: answers `MN`, marking the end of a pipeline of quiet commands. */
export interface MetaNoOpCommand {
  readonly type: 'mn';
}

/** `me <key>`: the item's metadata as text. */
export interface MetaDebugCommand {
  readonly type: 'me';
  readonly key: string;
}

/** Every request the parser yields. */
export type Command =
  | StoreCommand
  | CasCommand
  | GetCommand
  | GetAndTouchCommand
  | TooLargeCommand
  | DeleteCommand
  | ArithmeticCommand
  | TouchCommand
  | FlushAllCommand
  | StatsCommand
  | VersionCommand
  | VerbosityCommand
  | QuitCommand
  | MetaGetCommand
  | MetaSetCommand
  | MetaDeleteCommand
  | MetaArithmeticCommand
  | MetaNoOpCommand
  | MetaDebugCommand;

/** The discriminant of every command. */
export type CommandType = Command['type'];
