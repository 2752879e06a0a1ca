/**
 * The routes of one CPU: old pids of actors that moved → the cell their mail goes to (forwarding.ts),
 * indexed both ways, so that switching or dropping every route to one cell costs the routes it has,
 * not every route of the CPU (a CPU of a busy machine keeps routes for many moved actors).
 *
 * @example
 * ```ts
 * const routes = new RouteTable();
 * routes.set(oldPid, standIn);
 * routes.switchAll(standIn, hold); // every route to the stand-in leads to the hold now
 * ```
 */
import type { Pid } from '../../ground/pid.js';
import type { Cell } from '../runtime/cell.js';

export class RouteTable {
  private readonly byPid = new Map<Pid, Cell>();
  private readonly byWay = new Map<Cell, Set<Pid>>();

  get size(): number {
    return this.byPid.size;
  }

  get(pid: Pid): Cell | undefined {
    return this.byPid.get(pid);
  }

  set(pid: Pid, way: Cell): void {
    const before = this.byPid.get(pid);
    if (before === way) return;
    if (before !== undefined) this.unindex(pid, before);
    this.byPid.set(pid, way);
    const pids = this.byWay.get(way);
    if (pids === undefined) this.byWay.set(way, new Set([pid]));
    else pids.add(pid);
  }

  delete(pid: Pid): void {
    const way = this.byPid.get(pid);
    if (way === undefined) return;
    this.byPid.delete(pid);
    this.unindex(pid, way);
  }

  /** The pids whose routes lead to `way` (a copy: the table may change while it is read). */
  pidsTo(way: Cell): Pid[] {
    return [...(this.byWay.get(way) ?? [])];
  }

  /** The cells routes lead to, each once. */
  ways(): IterableIterator<Cell> {
    return this.byWay.keys();
  }

  /** Makes every route to `from` lead to `to`. */
  switchAll(from: Cell, to: Cell): void {
    for (const pid of this.pidsTo(from)) this.set(pid, to);
  }

  /** Drops every route to `way`. */
  deleteAll(way: Cell): void {
    for (const pid of this.pidsTo(way)) this.delete(pid);
  }

  private unindex(pid: Pid, way: Cell): void {
    const pids = this.byWay.get(way)!;
    pids.delete(pid);
    if (pids.size === 0) this.byWay.delete(way);
  }
}
