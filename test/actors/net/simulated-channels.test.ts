import { expect } from 'chai';
import fc from 'fast-check';
import type { Socket } from '../../../actors/net/socket.js';
import { connectionHandler } from '../../../actors/net/connection-handler.js';
import { network } from '../../../actors/net/subsystem.js';
import { virtualMemory } from '../../../actors/vm/subsystem.js';
import { configure, defaultSubsystems, Kernel } from '../../../boot/index.js';
import { createSimulatedNetwork, type WireFaults } from '../../../drivers/nic/index.js';
import { stressSize } from '../../helpers/stress.js';

/** Byte `i` of flow `flow`'s pattern: any loss, duplicate or swap shows. */
const patternByte = (flow: number, i: number) => (i * 131 + flow * 17 + (i >> 8)) & 0xff;

/** An echo every simulated CPU knows (they share this thread). */
const Echo = connectionHandler('test-simulated-echo', (socket) => ({ data: (bytes) => void socket.send(bytes) }));

interface Scenario {
  readonly seed: number;
  /** Where the echoes run: on the NIC's CPU, or on another, their data crossing in packet buffers. */
  readonly placement: 'nic-cpu' | 'workers';
  readonly faults: WireFaults;
  readonly credits: number;
  readonly flows: number;
  readonly bytesPerFlow: number;
  readonly chunkBytes: number;
}

/**
 * Boots a simulated kernel with two NICs on one simulated wire, an echo server on one, and
 * `flows` clients on the other, each sending its pattern in chunks and collecting the echo.
 * Returns what each client got back, and the virtual time it took.
 */
async function runEchoes(scenario: Scenario): Promise<{ echoes: Uint8Array[]; tookMs: number; wakes: number; events: number; packetBytesInUse: number }> {
  const kernel = await Kernel.boot({
    mode: 'simulated',
    seed: scenario.seed,
    ...(scenario.placement === 'workers' ? { cpus: 2 } : {}),
    subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 32 << 20 }), network],
  });
  try {
    const clock = kernel.simulatedClock;
    const wire = createSimulatedNetwork({ clock, random: kernel.random.stream('wire'), faults: scenario.faults, tcp: { retriesMax: 60 } });
    const stack = kernel.subsystem(network);
    const server = await kernel.runUntil(stack.attach(wire.host('server', { receiveCreditChunks: scenario.credits }), { name: 'eth0' }));
    const clients = await kernel.runUntil(stack.attach(wire.host('client', { receiveCreditChunks: scenario.credits }), { name: 'eth1' }));
    await kernel.runUntil(server.listen({ host: '0.0.0.0', port: 7, connection: Echo, placement: scenario.placement }));
    const echoes = Array.from({ length: scenario.flows }, () => [] as Uint8Array[]);
    const sockets: Socket[] = [];
    for (let flow = 0; flow < scenario.flows; flow++) {
      sockets.push(await kernel.runUntil(clients.connect('server', 7, () => ({ data: (bytes) => void echoes[flow]!.push(bytes.slice()) }))));
    }
    const startMs = clock.now();
    // Each client sends its pattern as fast as its socket takes it; the socket queues behind backpressure.
    for (let flow = 0; flow < scenario.flows; flow++) {
      const pattern = Uint8Array.from({ length: scenario.bytesPerFlow }, (_, i) => patternByte(flow, i));
      for (let offset = 0; offset < pattern.length; offset += scenario.chunkBytes) {
        expect(sockets[flow]!.send(pattern.subarray(offset, offset + scenario.chunkBytes))).to.equal(true);
      }
    }
    const received = () => echoes.every((chunks) => chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0) >= scenario.bytesPerFlow);
    await clock.runUntilIdle({ timeMsMax: 600_000, stopWhen: received });
    const { wakes, eventsClassified, packetBytesInUse } = server.status();
    return {
      packetBytesInUse,
      echoes: echoes.map((chunks) => Uint8Array.from(chunks.flatMap((chunk) => [...chunk]))),
      tookMs: clock.now() - startMs,
      wakes,
      events: eventsClassified,
    };
  } finally {
    await kernel.runUntil(kernel.shutdown());
  }
}

describe('net: channels over a simulated wire', function () {
  this.timeout(120_000);

  it('loses, duplicates and reorders no byte of any flow, whatever the wire does and however small the credits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          placement: fc.constantFrom('nic-cpu' as const, 'workers' as const),
          faults: fc.record({
            dropRate: fc.double({ min: 0, max: 0.2, noNaN: true }),
            duplicateRate: fc.double({ min: 0, max: 0.2, noNaN: true }),
            reorderRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
            delayMs: fc.constant({ min: 1, max: 5 }),
          }),
          credits: fc.integer({ min: 1, max: 4 }),
          flows: fc.integer({ min: 1, max: 3 }),
          bytesPerFlow: fc.integer({ min: 1, max: 20_000 }),
          chunkBytes: fc.integer({ min: 1, max: 9_000 }),
        }),
        async (scenario) => {
          const { echoes, packetBytesInUse } = await runEchoes(scenario);
          // Every packet buffer a far echo was sent came back with its credit.
          expect(packetBytesInUse).to.equal(0);
          for (const [flow, echo] of echoes.entries()) {
            expect(echo.byteLength, `flow ${flow}`).to.equal(scenario.bytesPerFlow);
            for (let i = 0; i < echo.byteLength; i++)
              if (echo[i] !== patternByte(flow, i)) expect.fail(`flow ${flow}: byte ${i} is ${echo[i]}, not ${patternByte(flow, i)}`);
          }
        },
      ),
      { numRuns: stressSize('NET_CHANNEL_RUNS', { ci: 15, full: 300 }) },
    );
  });

  it('stalls a flow across a partition and finishes it once the partition heals', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 11, subsystems: [...defaultSubsystems, network] });
    try {
      const clock = kernel.simulatedClock;
      const wire = createSimulatedNetwork({ clock, random: kernel.random.stream('wire'), tcp: { retriesMax: 60 } });
      const stack = kernel.subsystem(network);
      const server = await kernel.runUntil(stack.attach(wire.host('server'), { name: 'eth0' }));
      const client = await kernel.runUntil(stack.attach(wire.host('client'), { name: 'eth1' }));
      await kernel.runUntil(server.listen({ host: '0.0.0.0', port: 7, connection: (socket) => ({ data: (bytes) => void socket.send(bytes) }) }));
      let echoed = 0;
      const socket = await kernel.runUntil(client.connect('server', 7, () => ({ data: (bytes) => void (echoed += bytes.byteLength) })));
      wire.partition('server', 'client');
      socket.send(new Uint8Array(100_000));
      await clock.advance(5_000);
      expect(echoed).to.equal(0);
      wire.heal('server', 'client');
      await clock.runUntilIdle({ timeMsMax: 120_000, stopWhen: () => echoed === 100_000 });
      expect(echoed).to.equal(100_000);
    } finally {
      await kernel.runUntil(kernel.shutdown());
    }
  });

  for (const placement of ['nic-cpu', 'workers'] as const) {
    it(`replays exactly from its seed, and batches wakes (owners placed: ${placement})`, async () => {
      const scenario: Scenario = {
        seed: 5,
        placement,
        faults: { dropRate: 0.1, reorderRate: 0.2, delayMs: { min: 1, max: 4 } },
        credits: 2,
        flows: 3,
        bytesPerFlow: 30_000,
        chunkBytes: 1_000,
      };
      const first = await runEchoes(scenario);
      const second = await runEchoes(scenario);
      expect(second.tookMs).to.equal(first.tookMs);
      expect(second.wakes).to.equal(first.wakes);
      expect(first.wakes).to.be.lessThan(first.events);
      const other = await runEchoes({ ...scenario, seed: 6 });
      expect(other.tookMs).to.not.equal(first.tookMs);
    });
  }
});
