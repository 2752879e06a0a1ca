/**
 * The real memcached, as a child process, for the differential test: Debian bookworm's
 * memcached 1.6.18, the version our server must answer exactly like. CI installs Debian's
 * `memcached` package; without it the test fails (never skips), saying so.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';

/** What the real server sent back for one script, and whether it closed the connection after it. */
export interface ReferenceReply {
  readonly bytes: Uint8Array;
  readonly closed: boolean;
}

/**
 * How long the server must stay silent before its reply is taken as complete, in ms: long enough
 * that a loaded machine's stall between the write and the reply is not taken for the end.
 */
const quietMs = 1_000;
/** How long a connection or a startup may take before the test gives up, in ms. */
const startupMs = 5_000;

/** The memcached binary: `MEMCACHED_BIN` or `memcached` on the PATH. */
function memcachedBinary(): string {
  return process.env.MEMCACHED_BIN ?? 'memcached';
}

/** Throws with the fix when the binary is missing or is not 1.6.18. */
function checkVersion(binary: string): void {
  const probe = spawnSync(binary, ['-V'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `the differential test needs the real memcached (${binary}): CI installs Debian's \`memcached\` package (apt-get install memcached, 1.6.18 on bookworm); got ${probe.error?.message ?? `exit ${probe.status}`}`,
    );
  }
  const version = probe.stdout.trim();
  if (version !== 'memcached 1.6.18') throw new Error(`the differential test is written against memcached 1.6.18 (Debian bookworm), found ${version}`);
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function connect(port: number): Promise<net.Socket> {
  return await new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * One memcached process on a free port of 127.0.0.1: one thread, no UDP, 64 MB.
 *
 * @example
 * ```ts
 * const reference = await ReferenceMemcached.start();
 * const reply = await reference.exchange(latin1Bytes('get a\r\n')); // { bytes: 'END\r\n', closed: false }
 * await reference.stop();
 * ```
 */
export class ReferenceMemcached {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<ReferenceMemcached> {
    const binary = memcachedBinary();
    checkVersion(binary);
    const port = await freePort();
    // memcached refuses to run as root unless told which user to be.
    const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
    const child = spawn(binary, [...user, '-p', String(port), '-l', '127.0.0.1', '-U', '0', '-t', '1', '-m', '64'], { stdio: 'ignore' });
    const reference = new ReferenceMemcached(child, port);
    const deadline = Date.now() + startupMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`memcached exited at start with code ${child.exitCode}`);
      try {
        (await connect(port)).destroy();
        return reference;
      } catch (error) {
        if (Date.now() > deadline) {
          child.kill();
          throw new Error(`memcached did not listen on ${port} within ${startupMs} ms: ${String(error)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  /**
   * On a new connection: asks where the cas counter stands (a store and a `gets`), sends
   * `flush_all` (awaiting its OK), then the script `render` makes for the unique the script's first
   * store will get, in one write. Returns what came back until the server closed or stayed quiet
   * `quietMs`; or, when `endsWithMn`, as soon as at least `expectedBytes` came and they end in
   * `MN\r\n` (the script's last reply, so nothing more is coming).
   */
  async exchange(render: (firstCas: bigint) => Uint8Array, endsWithMn: boolean, expectedBytes: number): Promise<ReferenceReply> {
    const socket = await connect(this.port);
    try {
      const casNow = await this.casNow(socket);
      await this.request(socket, 'flush_all\r\n', (reply) => reply === 'OK\r\n');
      // The flush takes a unique (its oldest_cas), the script's first store the next one.
      const script = render(casNow + 2n);
      return await new Promise((resolve) => {
        const chunks: Buffer[] = [];
        let length = 0;
        let timer: NodeJS.Timeout | undefined;
        const finish = (closed: boolean): void => {
          clearTimeout(timer);
          socket.removeAllListeners();
          resolve({ bytes: new Uint8Array(Buffer.concat(chunks)), closed });
        };
        const arm = (): void => {
          clearTimeout(timer);
          timer = setTimeout(() => finish(false), quietMs);
        };
        socket.on('data', (data: Buffer) => {
          chunks.push(data);
          length += data.byteLength;
          if (endsWithMn && length >= expectedBytes && Buffer.concat(chunks).subarray(-4).toString('latin1') === 'MN\r\n') {
            finish(false);
            return;
          }
          arm();
        });
        socket.on('end', () => finish(true));
        socket.on('error', () => finish(true));
        arm();
        socket.write(script);
      });
    } finally {
      socket.destroy();
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill();
    });
  }

  /** The unique of a fresh store: where the server's cas counter stands. */
  private async casNow(socket: net.Socket): Promise<bigint> {
    const reply = await this.request(socket, 'set __cas 0 0 1\r\nx\r\ngets __cas\r\n', (text) => text.endsWith('END\r\n'));
    const match = /^STORED\r\nVALUE __cas 0 1 (\d+)\r\n/.exec(reply);
    if (match === null) throw new Error(`memcached answered the cas probe with ${JSON.stringify(reply)}`);
    return BigInt(match[1]!);
  }

  /** Sends `text` and waits for the reply `complete` accepts. */
  private async request(socket: net.Socket, text: string, complete: (reply: string) => boolean): Promise<string> {
    return await new Promise<string>((resolve, reject) => {
      let reply = '';
      const timer = setTimeout(() => reject(new Error(`memcached did not answer ${JSON.stringify(text)}: ${JSON.stringify(reply)}`)), startupMs);
      socket.on('data', (data: Buffer) => {
        reply += data.toString('latin1');
        if (complete(reply)) {
          clearTimeout(timer);
          socket.removeAllListeners('data');
          resolve(reply);
        }
      });
      socket.write(text, 'latin1');
    });
  }
}
