/**
 * A simulated host's ports: which are bound by listeners, which are held by connections, and the
 * next ephemeral port for an outgoing connection (the IANA range, 49152–65535, as Linux's
 * `ip_local_port_range` is by default on many systems).
 *
 * @example
 * ```ts
 * const ports = new SimulatedPorts();
 * ports.bind('0.0.0.0', 11211);        // a listener
 * const port = ports.ephemeral(); // 49152
 * ports.hold(port);        // a connection uses it until released
 * ```
 */
import { assert } from '../../ground/assert.js';
import { NicError } from './nic.js';

export const ephemeralPortMin = 49_152;
export const ephemeralPortMax = 65_535;
const portMax = 65_535;
/** A listener on it takes connections to every address of the host. */
const anyAddress = '0.0.0.0';

export class SimulatedPorts {
  /** Listeners' ports: port → the addresses bound on it. */
  private readonly bound = new Map<number, Set<string>>();
  /** Connections' local ports: port → how many connections use it. */
  private readonly held = new Map<number, number>();
  private nextEphemeral = ephemeralPortMin;

  /** Binds `port` on `address` for a listener (0: a free ephemeral port); throws EADDRINUSE when taken. */
  bind(address: string, port: number): number {
    if (!(Number.isInteger(port) && port >= 0 && port <= portMax)) throw new RangeError(`port must be an integer in [0, ${portMax}], got ${String(port)}`);
    const chosen = port === 0 ? this.ephemeral() : port;
    const addresses = this.bound.get(chosen);
    if (addresses !== undefined && (addresses.has(address) || addresses.has(anyAddress) || (address === anyAddress && addresses.size > 0))) {
      throw new NicError('EADDRINUSE', `port ${chosen} is already bound on ${address}`);
    }
    if (addresses === undefined) this.bound.set(chosen, new Set([address]));
    else addresses.add(address);
    return chosen;
  }

  unbind(address: string, port: number): void {
    const addresses = this.bound.get(port);
    assert(addresses?.has(address) === true, 'only a bound port is unbound');
    addresses.delete(address);
    if (addresses.size === 0) this.bound.delete(port);
  }

  /** A port in the ephemeral range that no listener binds and no connection holds; EADDRNOTAVAIL when none is left. */
  ephemeral(): number {
    const rangeSize = ephemeralPortMax - ephemeralPortMin + 1;
    for (let tries = 0; tries < rangeSize; tries++) {
      const port = this.nextEphemeral;
      this.nextEphemeral = port === ephemeralPortMax ? ephemeralPortMin : port + 1;
      if (!this.bound.has(port) && !this.held.has(port)) return port;
    }
    throw new NicError('EADDRNOTAVAIL', 'every ephemeral port is in use');
  }

  /** A connection uses `port` as its local port. */
  hold(port: number): void {
    this.held.set(port, (this.held.get(port) ?? 0) + 1);
  }

  /** A connection that held `port` is gone. */
  release(port: number): void {
    const count = this.held.get(port);
    assert(count !== undefined && count > 0, 'only a held port is released');
    if (count === 1) this.held.delete(port);
    else this.held.set(port, count - 1);
  }
}
