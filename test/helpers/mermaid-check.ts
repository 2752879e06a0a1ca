/**
 * Parses Mermaid diagrams with Mermaid's own parser, in a child process: Mermaid wants a DOM
 * (linkedom stands in for one), which must not leak into the test process's globals.
 *
 * Run as a script, it reads a JSON array of diagram texts on stdin and writes, for each, null when
 * it parses or the parser's message when it does not.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** For each diagram: null when Mermaid parses it, else its error. */
export function mermaidErrors(diagrams: readonly string[]): Promise<(string | null)[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [fileURLToPath(import.meta.url)], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`mermaid check failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout) as (string | null)[]);
    });
    child.stdin!.end(JSON.stringify(diagrams));
  });
}

async function main(): Promise<void> {
  const { parseHTML } = await import('linkedom');
  const { window } = parseHTML('<!doctype html><html><body></body></html>');
  Object.assign(globalThis, { window, document: window.document });
  const { default: mermaid } = await import('mermaid');
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const results: (string | null)[] = [];
  for (const text of JSON.parse(input) as string[]) {
    results.push(
      await mermaid.parse(text).then(
        () => null,
        (error: unknown) => String(error),
      ),
    );
  }
  process.stdout.write(JSON.stringify(results));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
