import { expect } from 'chai';
import { connect } from 'node:net';
import { fromSetup, Kernel } from '../../boot/index.js';
import { inspect } from '../../inspector/index.js';
import { pageSocket } from './helpers/page-socket.js';

/** Sends `bytes` on a raw connection and resolves with what comes back before it closes (or after 500 ms). */
function raw(port: number, bytes: string | Buffer, resetAfterWrite = false): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(bytes);
      if (resetAfterWrite) socket.resetAndDestroy();
    });
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    setTimeout(() => {
      socket.destroy();
      resolve(answer);
    }, 500);
  });
}

describe('inspector: the server against bad requests', function () {
  this.timeout(20_000);

  it('answers what is not a request, a reset upgrade, bad messages and a broken frame, and serves on', async () => {
    const kernel = await Kernel.boot();
    const inspector = await inspect(kernel);
    try {
      // An address that is no URL at all, and an upgrade without the token that the client resets.
      expect(await raw(inspector.port, 'GET //[ HTTP/1.1\r\nhost: x\r\n\r\n')).to.match(/^HTTP\/1\.1 403/);
      await raw(
        inspector.port,
        'GET /ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n',
        true,
      );
      // Messages that are not requests get an error, and the socket stays.
      const { socket, ask } = await pageSocket(inspector);
      expect((await ask('null')).type).to.equal('error');
      expect((await ask('{not json')).text).to.equal('a request is JSON');
      expect((await ask('{"type":"machine","pid":"nobody"}')).text).to.match(/by its pid/);
      expect(await ask('{"type":"kill","pid":"<0.999.1>"}')).to.deep.include({ type: 'acted', error: '<0.999.1> is not a live actor' });
      expect(await ask('{"type":"reboot","pid":"<0.1.1>"}')).to.deep.include({ type: 'error' });
      // A frame with a reserved opcode: that client is cut off, nobody else.
      const closed = new Promise((resolve) => socket.once('close', resolve));
      (socket as unknown as { _socket: { write(bytes: Buffer): void } })._socket.write(Buffer.from([0x83, 0x80, 0, 0, 0, 0]));
      await closed;
      const page = await fetch(inspector.url);
      expect(page.status).to.equal(200);
      expect(page.headers.get('referrer-policy')).to.equal('no-referrer');
      expect(page.headers.get('content-security-policy')).to.include("default-src 'none'");
    } finally {
      await inspector.close();
      await kernel.shutdown();
    }
  });

  it('tells a page of each failure with its causes, nearest first', async () => {
    const kernel = await Kernel.boot();
    const inspector = await inspect(kernel);
    try {
      const { socket } = await pageSocket(inspector);
      const failure = new Promise<{ text: string; causes: string[] }>((resolve) => {
        socket.on('message', (data) => {
          const message = JSON.parse(String(data)) as { type: string; text: string; causes: string[] };
          if (message.type === 'failure') resolve(message);
        });
      });
      const Faulty = fromSetup<{ readonly type: 'go' }>(
        () => ({
          receive() {
            throw new Error('the write failed', { cause: new Error('the disk is full', { cause: new RangeError('no free block') }) });
          },
        }),
        'Faulty',
      );
      kernel.spawn(Faulty, { name: 'faulty' }).tell({ type: 'go' });
      const told = await failure;
      expect(told.text).to.match(/faulty.* on cpu 0: .*the write failed/);
      expect(told.causes).to.deep.equal(['Error: the disk is full', 'RangeError: no free block']);
      socket.close();
    } finally {
      await inspector.close();
      await kernel.shutdown();
    }
  });

  it("steps a simulated kernel's time as the page asks, within bounds, and never a real one's", async () => {
    const simulated = await Kernel.boot({ mode: 'simulated', seed: 3 });
    const real = await Kernel.boot();
    const inspectors = [await inspect(simulated, { sampleMs: 100 }), await inspect(real)];
    try {
      const { socket, ask } = await pageSocket(inspectors[0]!);
      expect(await ask('{"type":"advance","ms":250}')).to.deep.equal({ type: 'advanced', ms: 250, atMs: 250 });
      expect(simulated.clock.now()).to.equal(250);
      expect((await ask('{"type":"advance","ms":0}')).error).to.match(/a step is a number of ms/);
      socket.close();
      const page = await pageSocket(inspectors[1]!);
      expect((await page.ask('{"type":"advance","ms":100}')).error).to.equal("a real kernel's time moves by itself");
      page.socket.close();
    } finally {
      for (const inspector of inspectors) await inspector.close();
      await simulated.runUntil(simulated.shutdown());
      await real.shutdown();
    }
  });

  it("refuses a token that is not the inspector's, whatever its length, and a sampling faster than it can keep up with", async () => {
    const kernel = await Kernel.boot();
    const inspector = await inspect(kernel, { token: 'a-token-of-sixteen+' });
    try {
      expect(inspector.url).to.include('token=a-token-of-sixteen%2B');
      for (const token of ['', 'a', 'a-token-of-sixteen-', 'a-token-of-sixteen++'])
        expect((await fetch(`http://127.0.0.1:${inspector.port}/?token=${encodeURIComponent(token)}`)).status).to.equal(403);
      expect((await fetch(inspector.url)).status).to.equal(200);
    } finally {
      await inspector.close();
    }
    const error = await inspect(kernel, { sampleMs: 10 }).catch((thrown: unknown) => thrown);
    expect((error as Error).message).to.match(/sampleMs must be at least 50 ms/);
    await kernel.shutdown();
  });
});
