/**
 * The virtual memory subsystem's frames between CPUs: the two halves of a TLB shootdown.
 */
import { defineMessage, type MessageOf } from './schema.js';

export const VM_SHOOTDOWN = 'vm.shootdown' as const;
export const VM_ACKNOWLEDGED = 'vm.acknowledged' as const;

/**
 * A frame from the VM's CPU to each other CPU: translations older than `generation` were taken away.
 * The receiving CPU flushes its TLB and answers `vm.acknowledged`, between two turns, so no access
 * of an earlier turn is still under way there.
 */
export const vmShootdown = defineMessage(VM_SHOOTDOWN, { generation: 'integer' });
export type VmShootdown = MessageOf<typeof vmShootdown>;

/** A frame back to the VM's CPU: CPU `cpu` has flushed up to `generation`. */
export const vmAcknowledged = defineMessage(VM_ACKNOWLEDGED, { cpu: 'integer', generation: 'integer' });
export type VmAcknowledged = MessageOf<typeof vmAcknowledged>;

/** What a mapping allows. */
export type VmProtection = 'none' | 'read' | 'read-write';
