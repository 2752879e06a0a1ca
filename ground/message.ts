/**
 * Message typing. A message is any object with a readonly string `type`. A message that expects a
 * reply is branded with its reply type by `Ask<…>`, so `ref.ask` infers what it resolves to and
 * `ctx.reply` accepts only that type.
 *
 * @example
 * ```ts
 * type CounterMsg =
 *   | { readonly type: 'add'; readonly n: number }
 *   | Ask<{ readonly type: 'get' }, number>;
 *
 * const n: number = await counter.ask({ type: 'get' });
 * ```
 */
export interface Message {
  readonly type: string;
}

declare const replyBrand: unique symbol;

/** Brands message `T` as one that is answered with an `R`. The brand exists only in types. */
export type Ask<T extends Message, R> = T & { readonly [replyBrand]?: { readonly reply: R } };

/** The reply type of an ask-branded message, `never` for a plain message. */
export type ReplyOf<T> = T extends { readonly [replyBrand]?: { readonly reply: infer R } } ? (typeof replyBrand extends keyof T ? R : never) : never;

/** The `type` strings of the members of `M` that are asks. */
export type AskTypes<M extends Message> = M extends unknown ? (typeof replyBrand extends keyof M ? M['type'] : never) : never;

/** The member of `M` whose `type` is `T`. */
export type MessageOfType<M extends Message, T extends string> = Extract<M, { readonly type: T }>;
