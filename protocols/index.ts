/**
 * Osprey's wire protocols: declarative message schemas, a validator for untrusted values, and a
 * msgpackr codec whose `decode` throws only `ProtocolError`, whatever the bytes.
 */
export { ProtocolError } from './protocol-error.js';
export type { ProtocolErrorCode } from './protocol-error.js';
export * from './limits.js';
export { createSchemaRegistry, defineMessage, normalizeField } from './schema.js';
export type {
  AnyFieldsCheck,
  AnyMessage,
  AnyMessageDescriptor,
  ArrayFieldSpec,
  FieldEntry,
  FieldRule,
  FieldRuleTag,
  FieldSpec,
  FieldSpecs,
  FieldValue,
  MessageDescriptor,
  MessageOf,
  ObjectFieldSpec,
  ObjectValue,
  OneOfFieldSpec,
  ScalarFieldSpec,
  ScalarKind,
  ScalarShorthand,
  SchemaRegistry,
} from './schema.js';
export { createCodec } from './codec.js';
export type { Codec, CodecOptions } from './codec.js';
export type { Structure, StructureList } from './structure-table.js';
export {
  KERNEL_DOWN,
  KERNEL_ENVELOPE,
  KERNEL_EXIT,
  KERNEL_REPLY,
  KERNEL_STOP,
  kernelDown,
  kernelEnvelope,
  kernelExit,
  kernelReply,
  kernelStop,
  runtimeDescriptors,
  runtimeRegistry,
} from './runtime.js';
export type { KernelDown, KernelEnvelope, KernelExit, KernelMessage, KernelReply, KernelStop } from './runtime.js';
export * from './irq.js';
export { createFrameCodec, type FrameCodecOptions } from './frame-codec.js';
export { createIrqCodec } from './irq-codec.js';
