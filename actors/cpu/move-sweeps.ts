/**
 * A move waits for the mail its actor sent before it. Mail it sent to a third CPU may still be on
 * its way there, or be passed on from there along a route to an actor that moved; sent from its new
 * CPU, its later mail to the same pid could take a shorter way (that CPU switched its ref after a
 * fence of its own) and overtake it. So before the actor leaves, each third CPU it sent mail to
 * since it came (`Cell.sentCpus`) is swept: asked, with `kernel.sweep` behind that mail in the ring,
 * to answer once what it took in has arrived where it goes (see Forwarding.fenceRoutes). The CPU it
 * moves to needs no sweep: its ring is in order with the move's frame, and mail it passes on takes
 * the same routes as the actor's later mail from there.
 *
 * The actor runs on meanwhile. The move is called off (it stays, and may be moved again later) if
 * it sends to a third CPU again, if something ties it here by then, if the CPU it was to go to
 * dies, or if the sweep takes longer than `moveSweepMsMax`.
 */
import { cpuBit } from '../../ground/pid.js';
import type { TimerHandle } from '../../drivers/clock/clock.js';
import { KERNEL_SWEEP, KERNEL_SWEPT, kernelSweep, kernelSwept } from '../../protocols/runtime.js';
import type { Cell } from '../runtime/cell.js';
import type { CpuNode } from './cpu-node.js';
import { defineFrameType, type FrameType } from './frame-registry.js';
import { moveSweepMsMax } from './limits.js';

/** Carries out a move whose sweep is done; returns why it cannot go after all, or null. */
export type Depart = (cell: Cell, cpu: number, waitsForRoom: boolean) => string | null;

interface SweptMove {
  readonly cell: Cell;
  readonly cpu: number;
  /** Whether its frame may wait for room in a full ring (see CpuRouting.migrate). */
  readonly waitsForRoom: boolean;
  readonly serial: number;
  /** The CPUs swept (a mask of `cpuBit(cpu)`), and those yet to answer. */
  readonly swept: number;
  unanswered: number;
  readonly timer: TimerHandle;
  /** Told once: null when the actor left, or why the move was called off. */
  readonly settled: (why: string | null) => void;
}

export class MoveSweeps {
  readonly frames: readonly FrameType[] = [
    defineFrameType(kernelSweep, (message, source) => this.sweep(source, message.serial)),
    defineFrameType(kernelSwept, (message, source) => this.answered(source, message.sweep)),
  ];
  private readonly bySerial = new Map<number, SweptMove>();
  private readonly byCell = new Map<Cell, SweptMove>();
  private nextSerial = 1;

  constructor(
    private readonly node: CpuNode,
    private readonly depart: Depart,
  ) {}

  /** Whether `cell` waits for a sweep before it moves. */
  waits(cell: Cell): boolean {
    return this.byCell.has(cell);
  }

  /** Moves `cell` to `cpu` once the CPUs of set `cpus` have answered a sweep; `settled` is told how it ended. */
  start(cell: Cell, cpu: number, waitsForRoom: boolean, cpus: number, settled: (why: string | null) => void): void {
    const serial = this.nextSerial++;
    const move: SweptMove = {
      cell,
      cpu,
      waitsForRoom,
      serial,
      swept: cpus,
      unanswered: cpus,
      settled,
      timer: this.node.kernel.clock.setTimer(moveSweepMsMax, () => this.callOff(move, `its earlier mail took longer than ${moveSweepMsMax} ms to arrive`)),
    };
    this.bySerial.set(serial, move);
    this.byCell.set(cell, move);
    // What it sends from now on is looked at when the sweep is done.
    cell.sentCpus = 0;
    for (let other = 0; other < this.node.cpus; other++) if ((cpus & cpuBit(other)) !== 0) this.node.send(other, { type: KERNEL_SWEEP, serial });
  }

  /** CPU `cpu` died: mail on it died with it, and a move to it is called off. */
  cpuDown(cpu: number): void {
    for (const move of [...this.bySerial.values()]) {
      if (move.cpu === cpu) this.callOff(move, `cpu ${cpu} is down`);
      else this.answered(cpu, move.serial);
    }
  }

  /** CPU `source` asks for sweep `serial`: it is answered once what this CPU took in from it has arrived. */
  private sweep(source: number, serial: number): void {
    this.node.forwarding.fenceRoutes(() => this.node.send(source, { type: KERNEL_SWEPT, sweep: serial }), moveSweepMsMax);
  }

  private answered(source: number, serial: number): void {
    const move = this.bySerial.get(serial);
    if (move === undefined) return;
    move.unanswered &= ~cpuBit(source);
    if (move.unanswered !== 0) return;
    this.forget(move);
    const third = ~(cpuBit(this.node.cpu) | cpuBit(move.cpu));
    const why =
      (move.cell.sentCpus & third) !== 0
        ? 'it sent mail to another CPU while its earlier mail was on its way'
        : this.depart(move.cell, move.cpu, move.waitsForRoom);
    if (why !== null) this.calledOffBecause(move, why);
    else move.settled(null);
  }

  private callOff(move: SweptMove, why: string): void {
    this.forget(move);
    this.calledOffBecause(move, why);
  }

  private calledOffBecause(move: SweptMove, why: string): void {
    // Its earlier mail may still be on its way: a later move sweeps those CPUs again.
    move.cell.sentCpus |= move.swept;
    move.settled(why);
  }

  private forget(move: SweptMove): void {
    this.node.kernel.clock.cancelTimer(move.timer);
    this.bySerial.delete(move.serial);
    this.byCell.delete(move.cell);
  }
}
