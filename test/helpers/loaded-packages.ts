import { execFileSync } from 'node:child_process';

/**
 * The packages from node_modules that a fresh process loads, by import or require, while it runs
 * `script` (an ES module's body). A resolve hook reports every URL the ESM loader resolves, and
 * `require.cache` holds what `require` loaded (Node 20's hooks do not see it); either alone misses
 * packages.
 *
 * @example
 * ```ts
 * packagesLoadedBy(`await import('osprey');`); // ['xstate']
 * ```
 */
export function packagesLoadedBy(script: string): string[] {
  const hooks = `
    let port;
    export function initialize(data) { port = data.port; }
    export async function resolve(specifier, context, next) {
      const resolved = await next(specifier, context);
      port.postMessage(resolved.url);
      return resolved;
    }`;
  const body = `
    import { createRequire, register } from 'node:module';
    import { MessageChannel } from 'node:worker_threads';
    const { port1, port2 } = new MessageChannel();
    const urls = [];
    port1.on('message', (url) => urls.push(url));
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}), { data: { port: port2 }, transferList: [port2] });
    ${script}
    // The port keeps order: once the marker's resolution arrives, every earlier one has.
    const marker = 'data:text/javascript,export{}';
    await import(marker);
    while (!urls.includes(marker)) await new Promise((resolve) => setImmediate(resolve));
    port1.close();
    const paths = [...urls, ...Object.keys(createRequire(import.meta.url).cache)];
    const packages = paths.filter((path) => path.includes('/node_modules/')).map((path) => path.split('/node_modules/').at(-1).split('/')[0]);
    console.log(JSON.stringify([...new Set(packages)]));
  `;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', body], { encoding: 'utf8', cwd: new URL('../../..', import.meta.url) });
  return JSON.parse(output.trim().split('\n').at(-1)!) as string[];
}
