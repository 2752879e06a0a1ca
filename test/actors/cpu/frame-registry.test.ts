/**
 * Cross-CPU frames by registry: every CPU knows the same frame types in the same order (its codecs
 * seed their shared record structures from that order), they are exactly the runtime's own
 * (protocols/runtime.ts) and its subsystems', and a type is registered once, before the codecs.
 */
import { expect } from 'chai';
import { InvariantError, Kernel } from '../../../boot/index.js';
import { defineFrameType, FrameRegistry } from '../../../actors/cpu/frame-registry.js';
import { nodeOf } from '../../helpers/kernel.js';
import { irqBatch } from '../../../protocols/irq.js';
import { ProtocolError } from '../../../protocols/protocol-error.js';
import { kernelEnvelope, kernelStop, runtimeDescriptors } from '../../../protocols/runtime.js';
import { defineMessage } from '../../../protocols/schema.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

function typesOf(kernel: Kernel): readonly string[] {
  return nodeOf(kernel).frames.types();
}

describe('cross-CPU frames by registry', () => {
  it('every CPU knows the runtime frames of protocols/runtime.ts and its subsystems’, in one order', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 1, cpus: 3, modules });
    const [cpu0, cpu1, cpu2] = kernel.threadKernels().map(typesOf);
    expect(cpu1).to.deep.equal(cpu0);
    expect(cpu2).to.deep.equal(cpu0);
    expect([...cpu0!].sort()).to.deep.equal([...runtimeDescriptors.map((descriptor) => descriptor.type), irqBatch.type].sort());
    expect(cpu0!.at(-1), 'subsystem frames come after the runtime’s').to.equal(irqBatch.type);
    await kernel.shutdown();
  });

  it('registers a type once, and only before the codecs are built', () => {
    const registry = new FrameRegistry([kernelEnvelope]);
    const stop = defineFrameType(kernelStop, () => {});
    registry.register(stop);
    expect(() => registry.register(stop)).to.throw(InvariantError, /registered twice/);
    expect(() => registry.register(defineFrameType(kernelEnvelope, () => {}))).to.throw(InvariantError, /registered twice/);
    registry.schemas();
    expect(() => registry.register(defineFrameType(defineMessage('late.frame', {}), () => {}))).to.throw(InvariantError, /before the codecs/);
  });

  it('refuses a frame of a type nobody registered, as a bad frame', () => {
    const registry = new FrameRegistry([]);
    expect(() => registry.handle({ type: 'nobody.knows' }, 1, null as never))
      .to.throw(ProtocolError)
      .with.property('code', 'unknown-type');
  });
});
