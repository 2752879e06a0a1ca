import WebSocket from 'ws';
import type { InspectorServer } from '../../../inspector/index.js';

/** A page's socket, open; `ask` sends a text and resolves with the next reply that is not a sample. */
export async function pageSocket(
  inspector: InspectorServer,
): Promise<{ socket: WebSocket; ask: (text: string) => Promise<{ type: string; [field: string]: unknown }> }> {
  const socket = new WebSocket(inspector.url.replace('http', 'ws').replace('/?', '/ws?'));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const ask = (text: string) =>
    new Promise<{ type: string; [field: string]: unknown }>((resolve) => {
      const listener = (data: Buffer) => {
        const message = JSON.parse(String(data)) as { type: string };
        if (message.type === 'status') return;
        socket.off('message', listener);
        resolve(message);
      };
      socket.on('message', listener);
      socket.send(text);
    });
  return { socket, ask };
}
