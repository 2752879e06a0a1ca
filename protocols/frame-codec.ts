/**
 * Frame codecs: the codec of the runtime's frames, and of a machine's (the runtime's and its
 * subsystems'). Its own module: msgpackr loads with it, and only a machine of several CPUs needs it.
 */
import { createCodec, type Codec, type CodecOptions } from './codec.js';
import { type KernelMessage, runtimeRegistry } from './runtime.js';
import type { AnyMessage, SchemaRegistry } from './schema.js';

/**
 * A codec for the frames of `schemas` (the runtime's and the subsystems', see FrameRegistry); create
 * one per peer CPU and thread. Defaults to the runtime's frames alone.
 *
 * @example
 * ```ts
 * const codec = createFrameCodec();
 * const frame = codec.encode({ type: KERNEL_STOP, to: pid, reason: 'shutdown' });
 * ```
 */
export function createFrameCodec(schemas?: undefined, options?: FrameCodecOptions): Codec<KernelMessage>;
export function createFrameCodec<M extends AnyMessage>(schemas: SchemaRegistry<M>, options?: FrameCodecOptions): Codec<M>;
export function createFrameCodec(schemas: SchemaRegistry = runtimeRegistry, options: FrameCodecOptions = {}): Codec<AnyMessage> {
  return createCodec({ registry: schemas, ...options });
}

/** A frame codec's options: a codec's, but its schemas. */
export type FrameCodecOptions = Omit<CodecOptions<AnyMessage>, 'registry'>;
