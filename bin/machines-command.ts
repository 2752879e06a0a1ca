/**
 * `osprey machines [module]`: the kernel's own xstate machines, and those a module exports, as
 * Mermaid state diagrams, Graphviz DOT or JSON (osprey/inspector's machine graphs). Printed, or
 * written one file per machine with `--out DIR`.
 *
 * @example
 * ```sh
 * npx osprey machines --format dot --out diagrams/       # diagrams/supervisor.dot, schedCpu.dot, ...
 * npx osprey machines dist/light.js --format mermaid     # the kernel's and light.js's machines, printed
 * ```
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Command, Option } from 'commander';
import type { AnyStateMachine } from 'xstate';
import { isStateMachine, kernelMachines, machineGraph, toDot, toMermaid } from '../inspector/index.js';

const formats = { mermaid: 'mmd', dot: 'dot', json: 'json' } as const;
type Format = keyof typeof formats;

interface MachinesOptions {
  readonly format: Format;
  readonly out?: string;
}

export function addMachinesCommand(program: Command): void {
  program
    .command('machines')
    .description("draw the kernel's xstate machines, and those a module exports, as Mermaid, Graphviz DOT or JSON")
    .argument('[module]', 'a module (a .js file) whose exported machines are drawn too')
    .addOption(new Option('--format <format>', 'what to write').choices(Object.keys(formats)).default('mermaid'))
    .option('--out <dir>', 'write one file per machine into this directory (made if missing) instead of printing them')
    .action(async (modulePath: string | undefined, options: MachinesOptions) => {
      const machines = new Map<string, AnyStateMachine>(kernelMachines().map((machine) => [machine.id, machine]));
      if (modulePath !== undefined) {
        const module = (await import(pathToFileURL(resolve(modulePath)).href)) as Record<string, unknown>;
        const exported = Object.entries(module).filter(([, value]) => isStateMachine(value)) as [string, AnyStateMachine][];
        if (exported.length === 0) return program.error(`${modulePath} exports no xstate machine`);
        for (const [name, machine] of exported) {
          const key = name === 'default' ? machine.id : name;
          if (machines.has(key)) return program.error(`${modulePath}: a machine named '${key}' is the kernel's own; export it under another name`);
          machines.set(key, machine);
        }
      }
      const drawn = [...machines].map(([name, machine]) => ({ name, text: draw(machine, options.format) }));
      if (options.out === undefined) {
        if (options.format === 'json') console.log(`[${drawn.map(({ text }) => text.trimEnd()).join(',\n')}]`);
        else for (const { name, text } of drawn) console.log(`${options.format === 'dot' ? '//' : '%%'} ${name}\n${text}`);
        return;
      }
      mkdirSync(options.out, { recursive: true });
      for (const { name, text } of drawn) writeFileSync(join(options.out, `${name}.${formats[options.format]}`), text);
      console.log(`${drawn.length} machine(s) written to ${options.out}: ${drawn.map(({ name }) => `${name}.${formats[options.format]}`).join(', ')}`);
    });
}

function draw(machine: AnyStateMachine, format: Format): string {
  const graph = machineGraph(machine);
  return format === 'mermaid' ? toMermaid(graph) : format === 'dot' ? toDot(graph) : `${JSON.stringify(graph, null, 2)}\n`;
}
