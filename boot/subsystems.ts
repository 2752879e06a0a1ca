/** The subsystems a kernel boots when `BootOptions.subsystems` does not say. */
import type { AnySubsystem } from '../actors/plugin/subsystem.js';
import { interrupts } from '../actors/irq/subsystem.js';
import { scheduling } from '../actors/scheduler/subsystem.js';

/** The scheduler, then the interrupts. */
export const defaultSubsystems: readonly AnySubsystem[] = [scheduling, interrupts];
