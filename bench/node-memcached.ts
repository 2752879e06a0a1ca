// The least a Node program can do to serve memcaslap: `net.Server`, one Map, `get` and `set` only,
// each tick's replies corked into one write. No bounds, no eviction, no other command: not a
// server, the ceiling of Node's sockets on this machine, as memcached.bench.ts's second baseline.
// Prints `listening on 127.0.0.1:<port>` once it listens.

import { createServer } from 'node:net';

const values = new Map<string, { readonly flags: string; readonly data: Buffer }>();
const server = createServer({ noDelay: true }, (socket) => {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const replies: Buffer[] = [];
    for (;;) {
      const newline = pending.indexOf(10);
      if (newline < 0) break;
      const [command, key = '', flags = '0', , length = '0'] = pending.toString('latin1', 0, newline - 1).split(' ');
      if (command === 'get') {
        const value = values.get(key);
        if (value === undefined) replies.push(Buffer.from('END\r\n'));
        else replies.push(Buffer.from(`VALUE ${key} ${value.flags} ${value.data.length}\r\n`), value.data, Buffer.from('\r\nEND\r\n'));
        pending = pending.subarray(newline + 1);
      } else if (command === 'set') {
        const end = newline + 1 + Number(length);
        if (pending.length < end + 2) break;
        values.set(key, { flags, data: Buffer.from(pending.subarray(newline + 1, end)) });
        replies.push(Buffer.from('STORED\r\n'));
        pending = pending.subarray(end + 2);
      } else {
        replies.push(Buffer.from('ERROR\r\n'));
        pending = pending.subarray(newline + 1);
      }
    }
    if (replies.length === 0) return;
    socket.cork();
    for (const reply of replies) socket.write(reply);
    process.nextTick(() => socket.uncork());
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (typeof address === 'object' && address !== null) console.log(`listening on 127.0.0.1:${address.port}`);
});
process.on('SIGTERM', () => process.exit(0));
