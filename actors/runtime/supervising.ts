import type { Cell } from './cell.js';
import type { ExitReason } from './signals.js';
import type { Shutdown } from './spawn-options.js';

/** How a supervised child is restarted (OTP's restart types). */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/** What the runtime needs from a supervisor's child spec. */
export interface ChildSpecLike {
  readonly id: string;
  readonly restart: RestartType;
  /** Milliseconds to stop, `infinity`, or `brutal-kill`. */
  readonly shutdown: Shutdown;
  /** A significant child's exit may shut its supervisor down (see `autoShutdown`). */
  readonly significant: boolean;
}

/**
 * The seam between the runtime and supervisors: an incarnation that implements these takes over the
 * decision when its children fail or exit. A parent without them stops a crashed child.
 */
export interface SupervisingInstance {
  /** A child's incarnation died with `reason` (`crashed` for a throw, with `error`); it waits, suspended, for a decision. */
  childFailed(child: Cell, reason: ExitReason, error: unknown, message: unknown): void;
  childExited(child: Cell, reason: ExitReason, error: unknown): void;
}

export function isSupervising(instance: unknown): instance is SupervisingInstance {
  return instance !== null && typeof instance === 'object' && typeof (instance as SupervisingInstance).childFailed === 'function';
}
