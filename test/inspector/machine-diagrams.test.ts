import { expect } from 'chai';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dotString, mermaidLabelText, mermaidStateText } from '../../inspector/diagram-text.js';
import { kernelMachines, machineGraph, toDot, toMermaid } from '../../inspector/index.js';
import { toDirectedGraph } from 'xstate/graph';
import { supervisorMachine } from '../../supervisors/machine.js';
import { mermaidErrors } from '../helpers/mermaid-check.js';
import { ospreyPath as osprey, runOsprey as run } from '../helpers/osprey-command.js';
import { player, recorder } from './fixtures/machines.js';

/** Graphviz's verdict on `dot` text: null when `dot` parses and draws it, else what it said. */
function dotError(text: string): string | null {
  const result = spawnSync('dot', ['-Tsvg'], { input: text, encoding: 'utf8' });
  if (result.error !== undefined) throw new Error(`Graphviz's dot is needed (Debian: apt-get install graphviz): ${result.error.message}`);
  return result.status === 0 ? null : result.stderr;
}

const fixture = fileURLToPath(new URL('./fixtures/machines.js', import.meta.url));

describe('inspector: machines as Mermaid, Graphviz and JSON', function () {
  this.timeout(60_000);

  it("takes a machine's states and transitions from its state nodes, eventless and delayed ones included, and lights the active states", () => {
    const graph = machineGraph(supervisorMachine(), { restarting: 'backingOff' });
    expect(graph.machine).to.equal('supervisor');
    expect(graph.initial).to.equal('running');
    expect(graph.states.map((state) => state.id)).to.include.members(['running', 'restarting', 'restarting.backingOff', 'failed']);
    expect(graph.states.filter((state) => state.active).map((state) => state.id)).to.deep.equal(['restarting', 'restarting.backingOff']);
    expect(graph.transitions).to.deep.include({ source: 'restarting.deciding', target: 'restarting.backingOff', event: 'always', guard: 'hasBackoffDelay' });
    expect(graph.transitions).to.deep.include({ source: 'restarting.backingOff', target: 'restarting.working', event: 'after backoffDelay', guard: '' });
    expect(graph.states.find((state) => state.id === 'restarting')!.initial).to.equal('restarting.deciding');
  });

  it("agrees with xstate/graph's toDirectedGraph on every state and every edge it reports, and adds the eventless ones it leaves out", () => {
    type DirectedNode = {
      readonly stateNode: { readonly path: readonly string[] };
      readonly children: readonly DirectedNode[];
      readonly edges: readonly DirectedEdge[];
    };
    type DirectedEdge = {
      readonly source: { readonly path: readonly string[] };
      readonly target: { readonly path: readonly string[] };
      readonly transition: { readonly target?: readonly unknown[]; readonly eventType: string };
    };
    for (const machine of [...kernelMachines(), recorder, player]) {
      const graph = machineGraph(machine);
      const states: string[] = [];
      const edges: string[] = [];
      const walk = (node: DirectedNode) => {
        if (node.stateNode.path.length > 0) states.push(node.stateNode.path.join('.'));
        for (const edge of node.edges) {
          // A targetless transition stays where it is: toDirectedGraph draws it as a loop, machineGraph as no target.
          const target = edge.transition.target === undefined || edge.transition.target.length === 0 ? '' : edge.target.path.join('.');
          const delayed = /^xstate\.after\.([^.]+)\./.exec(edge.transition.eventType);
          edges.push(`${edge.source.path.join('.')} -${delayed === null ? edge.transition.eventType : `after ${delayed[1]}`}-> ${target}`);
        }
        node.children.forEach(walk);
      };
      walk(toDirectedGraph(machine) as unknown as DirectedNode);
      expect(edges.length, machine.id).to.be.above(0);
      expect(graph.states.map((state) => state.id).sort(), machine.id).to.deep.equal(states.sort());
      const drawn = graph.transitions.map((transition) => `${transition.source} -${transition.event}-> ${transition.target}`);
      expect(drawn.filter((edge) => !edge.includes(' -always-> ')).sort(), machine.id).to.deep.equal(edges.sort());
    }
  });

  it('draws every kernel machine, and a machine with parallel regions and awkward names, as Mermaid and DOT that parse', async () => {
    const graphs = [
      ...kernelMachines().map((machine) => machineGraph(machine)),
      machineGraph(recorder),
      machineGraph(player, { playing: { 'power: mode': 'saving', sound: 'on' } }),
    ];
    expect(graphs.map((graph) => graph.machine)).to.deep.equal([
      'supervisor',
      'schedCpu',
      'irqLine',
      'vmPressure',
      'zfsDevice',
      'zfsTxg',
      'recorder',
      'player',
    ]);
    // A transition into two parallel regions is an edge to each.
    const go = graphs
      .at(-2)!
      .transitions.filter((transition) => transition.event === 'GO')
      .map((transition) => transition.target);
    expect(go).to.deep.equal(['recording.audio.on', 'recording.video.on']);
    expect(graphs.at(-2)!.states.find((state) => state.type === 'history')!.key).to.equal('last');
    for (const graph of graphs) expect(dotError(toDot(graph)), graph.machine).to.equal(null);
    expect(await mermaidErrors(graphs.map(toMermaid))).to.deep.equal(graphs.map(() => null));
    // The active states are lit in both.
    const mermaid = toMermaid(graphs.at(-1)!);
    expect(mermaid).to.match(/^ {2}class [s0-9,]+ active$/m);
    expect(mermaid).to.include('state "power mode" as');
    expect(toDot(graphs.at(-1)!)).to.include('label="saving", style="rounded,filled"');
  });

  it('escapes any text into labels that Graphviz and Mermaid parse (property)', async () => {
    const texts = fc.sample(fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '"', '\\', '\n', ':', ';', '{', '}', '<', '>', '&', '#', '[', ']', 'é', '→') }), {
      numRuns: 40,
      seed: 7,
    });
    const dot = `digraph { ${texts.map((text, index) => `n${index} [label=${dotString(text)}];`).join(' ')} }`;
    expect(dotError(dot)).to.equal(null);
    const flowchart = `flowchart TD\n${texts.map((text, index) => `  n${index}["${mermaidLabelText(text)}"]`).join('\n')}\n`;
    const states = `stateDiagram-v2\n${texts.map((text, index) => `  state "${mermaidStateText(text)}" as s${index}`).join('\n')}\n`;
    expect(await mermaidErrors([flowchart, states])).to.deep.equal([null, null]);
  });

  it('is checked by parsers that refuse what is not a diagram', async () => {
    expect(dotError('digraph { a -> }')).to.not.equal(null);
    const [error] = await mermaidErrors(['stateDiagram-v2\n  [*] -->\n  a -> b:: go\n']);
    expect(error).to.match(/Parse error/);
  });

  it("osprey machines writes the kernel's machines and a module's, in each format", async () => {
    const out = mkdtempSync(join(tmpdir(), 'osprey-machines-'));
    const written = await run('machines', fixture, '--format', 'json', '--out', out);
    expect(written.code, written.stderr).to.equal(0);
    expect(readdirSync(out).sort()).to.deep.equal([
      'irqLine.json',
      'player.json',
      'recorder.json',
      'schedCpu.json',
      'supervisor.json',
      'vmPressure.json',
      'zfsDevice.json',
      'zfsTxg.json',
    ]);
    expect(JSON.parse(readFileSync(join(out, 'player.json'), 'utf8')).initial).to.equal('stopped');
    const printed = await run('machines', '--format', 'dot');
    expect(printed.stdout).to.include('// supervisor\ndigraph "supervisor" {');
    const bad = await run('machines', fixture, '--format', 'svg');
    expect(bad.code).to.not.equal(0);
    expect(bad.stderr).to.include('Allowed choices are mermaid, dot, json');
    const none = await run('machines', osprey.replace('osprey.js', 'demo-actors.js'));
    expect(none.stderr).to.include('exports no xstate machine');
  });
});
