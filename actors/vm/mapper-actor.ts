/**
 * The mapper actor: the one writer of the address space's structure, on the VM's CPU. Every map,
 * unmap, protect, move and dirty collection, from any CPU, is an ask to it, so they happen one at a
 * time in the order it receives them. A request it cannot take (bad arguments, no memory) is
 * answered with the typed error, and the actor goes on; the structure itself is not its state but
 * the VM's (vm-cpu.ts), so a restart of the actor loses no mapping.
 *
 * @example
 * ```ts
 * const address = await mapperRef.ask({ type: 'vm.map', length: 1 << 20 });
 * ```
 */
import type { Ask } from '../../ground/message.js';
import type { VmProtection } from '../../protocols/vm.js';
import type { BehaviorFactory } from '../runtime/behavior.js';
import { fromSystem } from '../runtime/system-context.js';
import type { DirtyRange, MapOptions } from './mapper.js';
import type { VmCpu } from './vm-cpu.js';

/** Its registered name: not under `kernel.`, so every CPU finds it. */
export const mapperName = 'vm.mapper';
/** How long it waits for CPUs to acknowledge a shootdown before it sends it again, in ms. */
export const shootdownRetryMs = 50;

export type MapperRequest =
  | Ask<{ readonly type: 'vm.map'; readonly length: number } & MapOptions, number>
  | Ask<{ readonly type: 'vm.unmap'; readonly address: number; readonly length: number }, null>
  | Ask<{ readonly type: 'vm.protect'; readonly address: number; readonly length: number; readonly protection: VmProtection }, null>
  | Ask<{ readonly type: 'vm.move'; readonly address: number; readonly length: number; readonly newLength?: number }, number>
  | Ask<{ readonly type: 'vm.dirty'; readonly address: number; readonly length: number; readonly clear: boolean }, DirtyRange[]>;

/** Its mail: requests, and the nudges of the shootdown (an acknowledgement came; time to send again). */
export type MapperMsg = MapperRequest | { readonly type: 'vm.acknowledged' } | { readonly type: 'vm.shootdown-retry' };

export function mapperActor(vm: VmCpu): BehaviorFactory<MapperMsg> {
  const mapper = vm.mapper!;
  return fromSystem<MapperMsg>((ctx) => {
    /** Retired frames wait: make sure a late or lost acknowledgement does not keep them forever. */
    const settle = (resend: boolean): void => {
      if (vm.changed(resend)) ctx.startTimer('shootdown', shootdownRetryMs, { type: 'vm.shootdown-retry' });
      else ctx.cancelTimer('shootdown');
    };
    return {
      receive(message): void {
        switch (message.type) {
          case 'vm.acknowledged':
            settle(false);
            return;
          case 'vm.shootdown-retry':
            settle(true);
            return;
        }
        const handle = ctx.replyLater(message);
        try {
          switch (message.type) {
            case 'vm.map':
              (handle as { resolve(value: number): boolean }).resolve(mapper.map(message.length, message));
              break;
            case 'vm.unmap':
              mapper.unmap(message.address, message.length);
              handle.resolve(null as never);
              break;
            case 'vm.protect':
              mapper.protect(message.address, message.length, message.protection);
              handle.resolve(null as never);
              break;
            case 'vm.move':
              (handle as { resolve(value: number): boolean }).resolve(mapper.move(message.address, message.length, message.newLength));
              break;
            case 'vm.dirty':
              (handle as { resolve(value: DirtyRange[]): boolean }).resolve(mapper.collectDirty(message.address, message.length, message.clear));
              break;
          }
        } catch (error) {
          handle.reject(error);
        } finally {
          // A request that failed half way (out of memory) may have retired frames too.
          settle(false);
        }
      },
    };
  }, 'vm-mapper');
}
