/**
 * A run as a Mermaid message sequence chart: who sent what to whom, in order, with the messages the
 * faults dropped, the crashes and the restarts as notes. For a shrunk run it shows the few messages
 * and faults a failure needs. Built from the events a run kept (`runScenario(s, { keepEvents: true })`).
 *
 * @example
 * ```ts
 * const run = await runScenario(tally, { seed: 0, plan: shrunk.plan, keepEvents: true });
 * console.log(sequenceChart(run)); // sequenceDiagram ...
 * ```
 */
import { MessageHops } from '../actors/runtime/message-hops.js';
import type { SimulationResult } from './run-scenario.js';

/** Lines of a chart, at most: a long run shows its last ones. */
export const chartLinesMax = 200;

interface ChartEvent {
  readonly kind: string;
  readonly pid?: number;
  readonly from?: number;
  readonly to?: number;
  readonly label?: string;
  readonly name?: string;
  readonly messageType?: string;
  readonly reason?: string;
  readonly error?: string;
  readonly atMs: number;
  readonly id: number;
  readonly cause: number;
}

/** The chart of `result`'s events; throws when the run did not keep them. */
export function sequenceChart(result: SimulationResult, linesMax = chartLinesMax): string {
  if (result.eventLog === undefined) throw new RangeError('a sequence chart needs the events of the run: run it with keepEvents');
  const names = new Map<number, string>([[0, 'outside']]);
  const declared: string[] = [];
  const participant = (pid: number, label?: string): string => {
    let id = names.get(pid);
    if (id === undefined) {
      id = `a${names.size}`;
      names.set(pid, id);
      declared.push(`  participant ${id} as ${clean(label ?? `actor ${pid}`)}`);
    }
    return id;
  };
  const lines: string[] = [];
  const hops = new MessageHops();
  for (const text of result.eventLog) {
    const event = JSON.parse(text) as ChartEvent;
    const at = `@${event.atMs}ms`;
    switch (event.kind) {
      case 'spawn':
        participant(event.pid!, event.name === undefined ? event.label : `${event.name} (${event.label})`);
        break;
      case 'send':
        // A message to another CPU hops into the far mailbox: drawn once.
        if (hops.isHop({ id: event.id, cause: event.cause, from: event.from!, to: event.to! })) break;
        lines.push(`  ${participant(event.from!)}->>${participant(event.to!)}: ${clean(event.messageType!)} ${at}`);
        break;
      case 'dead-letter':
        if (event.reason === 'fault-injected')
          lines.push(`  ${participant(event.from!)}-x${participant(event.to!)}: ${clean(event.messageType!)} dropped ${at}`);
        break;
      case 'fault':
        lines.push(`  Note over ${participant(event.pid!)}: crashed ${at}: ${clean(event.error!.split('\n')[0]!)}`);
        break;
      case 'restart':
        lines.push(`  Note over ${participant(event.pid!)}: restarted ${at}`);
        break;
    }
  }
  const shown = lines.length > linesMax ? [`  Note over outside: ${lines.length - linesMax} earlier lines left out`, ...lines.slice(-linesMax)] : lines;
  return ['sequenceDiagram', '  participant outside', ...declared, ...shown].join('\n');
}

/** Text Mermaid takes in a label: no line breaks, no `;` or `#`, bounded. */
function clean(text: string): string {
  return text.replace(/[\n;#]/g, ' ').slice(0, 80);
}
