/**
 * Connection handlers that can run on any CPU. A worker thread cannot receive a closure, so a
 * connection whose owner runs on another CPU than its NIC's names its handler: `connectionHandler`
 * registers a factory under a name in the thread that runs it. A boot module that defines the
 * handler (every CPU imports the boot modules) defines it on every CPU.
 *
 * @example
 * ```ts
 * // echo.ts, a boot module: Kernel.boot({ cpus: 4, modules: [new URL('./echo.js', import.meta.url)], … })
 * export const Echo = connectionHandler('echo', (socket) => ({ data: (bytes) => socket.send(bytes) }));
 * // on CPU 0: owners spread over the CPUs
 * await eth0.listen({ port: 7, connection: Echo, placement: 'spread' });
 * ```
 */
import { UsageError } from '../../ground/errors.js';
import type { ConnectionFactory } from './connection.js';

export interface ConnectionHandler {
  readonly name: string;
  readonly factory: ConnectionFactory;
}

const handlers = new Map<string, ConnectionHandler>();
const handlerName = /^[A-Za-z][\w.-]{0,63}$/;

/** Defines (in this thread) the connection handler `name`; defining one name twice with two factories is refused. */
export function connectionHandler(name: string, factory: ConnectionFactory): ConnectionHandler {
  if (!handlerName.test(name)) throw new UsageError(`a connection handler's name is a letter, then up to 63 letters, digits, '_', '.' or '-': '${name}'`);
  const defined = handlers.get(name);
  if (defined !== undefined) {
    if (defined.factory !== factory) throw new UsageError(`a connection handler named '${name}' is defined already, with another factory`);
    return defined;
  }
  const handler = Object.freeze({ name, factory });
  handlers.set(name, handler);
  return handler;
}

/** The handler defined as `name` in this thread, if any. */
export function connectionHandlerNamed(name: string): ConnectionHandler | undefined {
  return handlers.get(name);
}
