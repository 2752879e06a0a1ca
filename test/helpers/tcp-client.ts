/** A plain TCP client on loopback, for the tests of servers on the kernel's net channels. */
import { connect, type Socket } from 'node:net';

/** Connects to `port` on 127.0.0.1; resolves once connected, rejects on the connection's error. */
export function clientTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}
