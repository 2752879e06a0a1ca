/**
 * One simulated TCP connection: the state machine that ties a sender and a receiver to a pair of
 * ports, from the handshake to TIME_WAIT.
 *
 *   syn-sent ──SYN-ACK──▶ open ◀──ACK── syn-received        (active / passive open)
 *   open ──both FINs acknowledged and `ended` raised──▶ time-wait ──quiet──▶ gone
 *   any ──RST, timeout, destroy──▶ gone
 *
 * The half-closed states of RFC 9293 (FIN-WAIT, CLOSE-WAIT, CLOSING, LAST-ACK) are not states
 * here: they are `open` with the sender's FIN queued or acknowledged and the receiver's FIN taken
 * or not, which is all that decides what happens next.
 *
 * What the consumer sees goes out through the port: `established` (connected or accepted; a
 * passive connection may be refused there), data, `ended`, `writable`, and `closed` exactly once,
 * last. A passive connection that never got through its handshake closes `abandoned` instead:
 * nobody ever saw it. TIME_WAIT comes after `closed`: the consumer is done with the flow, the
 * connection only lingers to acknowledge a retransmitted FIN whose first acknowledgement was lost.
 *
 * @example
 * ```ts
 * const connection = new TcpConnection({ localPort: 49152, remotePort: 80, iss, settings, clock, credits: 32, port });
 * connection.open();                 // the SYN
 * connection.receive(segment);       // every segment for this pair of ports
 * connection.write(bytes); connection.end();
 * ```
 */
import { assert } from '../../ground/assert.js';
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { NicFault } from './nic.js';
import { type TcpSettings, timeWaitMs } from './tcp-limits.js';
import { TcpReceiver } from './tcp-receiver.js';
import { emptyPayload, segmentSpan, type TcpSegment } from './tcp-segment.js';
import { type SentPart, TcpSender } from './tcp-sender.js';

export type TcpState = 'syn-sent' | 'syn-received' | 'open' | 'time-wait' | 'gone';

/** Where a connection's output goes: the simulated host. */
export interface ConnectionPort {
  transmit(segment: TcpSegment): void;
  /** The handshake completed. A passive connection is refused (reset) when this returns false. */
  established(): boolean;
  data(bytes: Uint8Array): void;
  ended(): void;
  writable(): void;
  /** Reading stopped: the consumer's credit ran out. */
  paused(): void;
  /** The consumer's flow is over (`fault` null: a clean close or a local destroy). */
  closed(fault: NicFault | null): void;
  /** A passive connection died in its handshake: no consumer ever saw it. */
  abandoned(): void;
  /** The connection is gone: forget its ports. */
  gone(): void;
}

export interface ConnectionOptions {
  readonly localPort: number;
  readonly remotePort: number;
  readonly iss: number;
  readonly settings: TcpSettings;
  readonly clock: Clock;
  /** Receive credits the consumer starts with. */
  readonly credits: number;
  readonly port: ConnectionPort;
  /** For a passive open: the peer's SYN. */
  readonly peerSyn?: TcpSegment;
}

export class TcpConnection {
  private stateNow: TcpState;
  private readonly sender: TcpSender;
  private receiver: TcpReceiver | null = null;
  private timeWaitTimer: TimerHandle | null = null;
  private readonly port: ConnectionPort;

  constructor(private readonly options: ConnectionOptions) {
    this.port = options.port;
    this.sender = new TcpSender(options.iss, options.settings, options.clock, {
      transmit: (part) => this.transmit(part),
      timedOut: () => this.onTimedOut(),
      writable: () => this.port.writable(),
    });
    const syn = options.peerSyn;
    if (syn === undefined) {
      this.stateNow = 'syn-sent';
    } else {
      assert(syn.syn && !syn.hasAck, 'a passive open starts from a SYN');
      this.stateNow = 'syn-received';
      this.receiver = this.receiverFrom(syn.seq + 1);
      this.sender.openPeerWindow(syn.window);
    }
  }

  get state(): TcpState {
    return this.stateNow;
  }

  /** Sends the SYN, or the SYN-ACK of a passive open. */
  open(): void {
    this.sender.start();
  }

  write(bytes: Uint8Array): boolean {
    assert(this.stateNow !== 'gone' && this.stateNow !== 'time-wait', 'writes go to a live connection');
    return this.sender.write(bytes);
  }

  end(): void {
    this.sender.end();
  }

  /** Gives receive credits back; a window update goes out if the window opened. */
  credit(chunks: number): void {
    if (this.receiver === null || this.stateNow !== 'open') return;
    if (this.receiver.credit(chunks)) this.sendAck();
    this.closeIfDone();
  }

  /** Resets the connection: an RST goes out, queued bytes are dropped, `closed` (no fault) follows. */
  destroy(): void {
    if (this.stateNow === 'gone' || this.stateNow === 'time-wait') return;
    const receiver = this.receiver;
    this.transmitReset(this.sender.resetSeq, receiver?.next ?? 0, receiver !== null);
    // A handshake under way has no consumer yet: it goes as if it never came.
    this.finish(this.stateNow === 'syn-received' ? { kind: 'abandoned' } : { kind: 'closed', fault: null });
  }

  /** Ends TIME_WAIT early (the host keeps too many): a FIN retransmitted after it gets a reset. */
  forget(): void {
    if (this.stateNow === 'time-wait') this.finish({ kind: 'gone' });
  }

  /** Takes a segment addressed to this connection's ports. */
  receive(segment: TcpSegment): void {
    switch (this.stateNow) {
      case 'syn-sent':
        this.receiveSynSent(segment);
        return;
      case 'syn-received':
        this.receiveSynReceived(segment);
        return;
      case 'open':
        this.receiveOpen(segment);
        return;
      case 'time-wait':
        this.receiveTimeWait(segment);
        return;
      case 'gone':
        return;
    }
  }

  private receiveSynSent(segment: TcpSegment): void {
    const synAck = this.options.iss + 1;
    if (segment.rst) {
      if (segment.hasAck && segment.ack === synAck) this.finish({ kind: 'closed', fault: { code: 'ECONNREFUSED', message: 'connection refused' } });
      return;
    }
    if (segment.hasAck && segment.ack !== synAck) {
      this.transmitReset(segment.ack, 0, false); // a stray from another incarnation
      return;
    }
    if (!(segment.syn && segment.hasAck)) return; // simultaneous open is not simulated
    this.receiver = this.receiverFrom(segment.seq + 1);
    this.stateNow = 'open';
    this.port.established();
    this.sendAck();
    this.sender.onAck(segment.ack, segment.window);
  }

  private receiveSynReceived(segment: TcpSegment): void {
    const receiver = this.receiver!;
    if (segment.rst) {
      if (receiver.inWindow(segment.seq)) this.finish({ kind: 'abandoned' });
      return;
    }
    if (segment.syn) {
      if (!segment.hasAck && segment.seq === receiver.next - 1) this.sender.resendSyn(); // our SYN-ACK was lost
      return;
    }
    if (!segment.hasAck) return;
    if (segment.ack !== this.options.iss + 1) {
      this.transmitReset(segment.ack, 0, false);
      return;
    }
    this.stateNow = 'open';
    if (!this.port.established()) {
      this.transmitReset(segment.ack, receiver.next, true);
      this.finish({ kind: 'abandoned' });
      return;
    }
    this.receiveOpen(segment);
  }

  private receiveOpen(segment: TcpSegment): void {
    const receiver = this.receiver!;
    if (segment.rst) {
      if (!receiver.inWindow(segment.seq)) return;
      // Both FINs sent and the peer's taken (LAST-ACK): the peer, in TIME_WAIT once it acknowledged
      // our FIN, let the connection go before our FIN's acknowledgement got through. Nothing was lost.
      const over = receiver.ended && this.sender.finSent;
      this.finish({ kind: 'closed', fault: over ? null : { code: 'ECONNRESET', message: 'connection reset by peer' } });
      return;
    }
    if (segment.syn) {
      this.sendAck(); // an old SYN or SYN-ACK, delivered late or twice
      return;
    }
    if (segment.hasAck) this.sender.onAck(segment.ack, segment.window);
    if (this.stateNow !== 'open') return;
    if (segmentSpan(segment) > 0) {
      receiver.accept(segment.seq, segment.payload, segment.fin);
      this.sendAck();
    }
    this.closeIfDone();
  }

  private receiveTimeWait(segment: TcpSegment): void {
    if (segment.rst) {
      this.finish({ kind: 'gone' });
      return;
    }
    if (segmentSpan(segment) === 0) return;
    // The peer retransmitted its FIN: our acknowledgement was lost. Acknowledge again and wait anew.
    this.sendAck();
    this.armTimeWait();
  }

  /** Both directions are over: the consumer's flow closes, the connection lingers in TIME_WAIT. */
  private closeIfDone(): void {
    if (this.stateNow !== 'open' || !this.sender.finAcknowledged || !this.receiver!.ended) return;
    this.stateNow = 'time-wait';
    this.sender.stop();
    this.port.closed(null);
    this.armTimeWait();
  }

  private armTimeWait(): void {
    const clock = this.options.clock;
    if (this.timeWaitTimer !== null) clock.cancelTimer(this.timeWaitTimer);
    this.timeWaitTimer = clock.setTimer(timeWaitMs(this.options.settings), () => {
      this.timeWaitTimer = null;
      this.finish({ kind: 'gone' });
    });
  }

  private onTimedOut(): void {
    if (this.stateNow === 'syn-received') {
      this.finish({ kind: 'abandoned' });
      return;
    }
    this.finish({ kind: 'closed', fault: { code: 'ETIMEDOUT', message: `no acknowledgement after ${this.options.settings.retriesMax} retransmissions` } });
  }

  /** Ends the connection: tells the consumer (once) how, then the host that the ports are free. */
  private finish(how: { readonly kind: 'closed'; readonly fault: NicFault | null } | { readonly kind: 'abandoned' } | { readonly kind: 'gone' }): void {
    if (this.stateNow === 'gone') return;
    const wasTimeWait = this.stateNow === 'time-wait';
    this.stateNow = 'gone';
    this.sender.stop();
    this.receiver?.discard();
    if (this.timeWaitTimer !== null) this.options.clock.cancelTimer(this.timeWaitTimer);
    this.timeWaitTimer = null;
    if (how.kind === 'closed') {
      assert(!wasTimeWait, 'a flow closes once');
      this.port.closed(how.fault);
    } else if (how.kind === 'abandoned') {
      this.port.abandoned();
    }
    this.port.gone();
  }

  private receiverFrom(initialSeq: number): TcpReceiver {
    return new TcpReceiver(initialSeq, this.options.settings.receiveWindowBytes, this.options.credits, {
      deliver: (bytes) => this.port.data(bytes),
      ended: () => this.port.ended(),
      paused: () => this.port.paused(),
    });
  }

  private transmit(part: SentPart): void {
    const receiver = this.receiver;
    this.port.transmit({
      sourcePort: this.options.localPort,
      targetPort: this.options.remotePort,
      seq: part.seq,
      ack: receiver?.next ?? 0,
      hasAck: receiver !== null,
      window: receiver?.advertise() ?? this.options.settings.receiveWindowBytes,
      syn: part.syn,
      fin: part.fin,
      rst: false,
      payload: part.payload,
    });
  }

  private sendAck(): void {
    this.transmit({ seq: this.sender.nextSeq, syn: false, fin: false, payload: emptyPayload });
  }

  private transmitReset(seq: number, ack: number, hasAck: boolean): void {
    this.port.transmit({
      sourcePort: this.options.localPort,
      targetPort: this.options.remotePort,
      seq,
      ack,
      hasAck,
      window: 0,
      syn: false,
      fin: false,
      rst: true,
      payload: emptyPayload,
    });
  }
}
