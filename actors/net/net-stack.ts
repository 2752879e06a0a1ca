/**
 * The `net` subsystem's handle (`kernel.subsystem(network)`): attach NICs, listen and connect on
 * them, and their status. NICs attach on CPU 0, the main thread, where Node's sockets live; the
 * owner actors of their flows run there, or spread over the CPUs (see docs/net.md, "Placement").
 *
 * @example
 * ```ts
 * const net = kernel.subsystem(network);
 * const eth0 = await net.attach(createRealNic(), { name: 'eth0' });
 * const { port } = await eth0.listen({ port: 0, connection: (socket) => ({ data: (bytes) => socket.send(bytes) }) });
 * kernel.status().subsystems.net; // { nics: { eth0: { listeners: [{ host: '127.0.0.1', port }], channels: {}, … } } }
 * ```
 */
import type { NicDriver } from '../../drivers/nic/nic.js';
import type { InterruptController } from '../irq/controller.js';
import { interrupts } from '../irq/subsystem.js';
import type { SubsystemHost } from '../plugin/subsystem.js';
import type { NetOps } from '../../protocols/net.js';
import { AttachedNic, type NicStatus } from './attached-nic.js';
import { NetConfigError } from './errors.js';
import { FarChannels } from './far-channels.js';
import { nicNameLengthMax, nicsAttachedMax } from './limits.js';

/** What the subsystem adds to `kernel.status()`, on each CPU. */
export interface NetStatus {
  /** The NICs attached on this CPU. */
  readonly nics: Readonly<Record<string, NicStatus>>;
  /** Owners running here for flows of a NIC on another CPU. */
  readonly farOwners: ReturnType<FarChannels['status']>;
}

const nicName = /^[a-z][a-z0-9-]*$/;

export class NetStack {
  private readonly nics = new Map<string, AttachedNic | null>();
  /** @internal Channels whose owner runs here and whose NIC is on another CPU. */
  readonly far: FarChannels;

  /** @internal The net subsystem makes one per CPU. */
  constructor(private readonly host: SubsystemHost) {
    this.far = new FarChannels(host);
    host.kernel.whenStopped.then(() => {
      for (const nic of this.nics.values()) nic?.driver.close().catch(() => undefined);
    });
  }

  /** Attaches `driver` as NIC `name`: its events become interrupts on a vector of its own, classified into channels. */
  async attach(driver: NicDriver, options: { readonly name: string }): Promise<AttachedNic> {
    const { name } = options;
    if (this.host.kernel.cpu !== 0)
      throw new NetConfigError(`NIC ${name}: NICs attach on CPU 0, where Node's sockets live (this is CPU ${this.host.kernel.cpu})`);
    if (!nicName.test(name) || name.length > nicNameLengthMax)
      throw new NetConfigError(`a NIC name is lower case letters, digits and '-', a letter first, at most ${nicNameLengthMax} characters: '${name}'`);
    if (this.nics.has(name)) throw new NetConfigError(`a NIC named ${name} is attached already`);
    if (this.nics.size >= nicsAttachedMax) throw new NetConfigError(`${nicsAttachedMax} NICs are attached already`);
    this.nics.set(name, null);
    const irq = this.host.kernel.subsystemHandle(interrupts.name) as InterruptController;
    const nic = new AttachedNic(name, driver, this.host, irq);
    try {
      await nic.start();
    } catch (error) {
      this.nics.delete(name);
      throw error;
    }
    this.nics.set(name, nic);
    return nic;
  }

  /** The NIC attached as `name`. */
  nic(name: string): AttachedNic {
    const nic = this.nics.get(name);
    if (nic === undefined || nic === null) throw new NetConfigError(`no NIC named ${name} is attached`);
    return nic;
  }

  /** Detaches NIC `name`: every flow is reset, every listener stops. */
  async detach(name: string): Promise<void> {
    const nic = this.nic(name);
    this.nics.delete(name);
    await nic.detach();
  }

  /** @internal A `net.ops` frame from a far owner of a flow of one of this CPU's NICs. */
  farOps(ops: NetOps): void {
    const nic = this.nics.get(ops.nic);
    if (nic === undefined || nic === null) {
      for (const bytes of ops.sends) this.far.droppedBytes += bytes.byteLength;
      return;
    }
    nic.farOps(ops);
  }

  status(): NetStatus {
    const nics: Record<string, NicStatus> = {};
    for (const [name, nic] of this.nics) if (nic !== null) nics[name] = nic.status();
    return { nics, farOwners: this.far.status() };
  }
}
