/**
 * The inspector's page: one HTML document with its script inline (nothing else to fetch), which
 * connects to the inspector's WebSocket with the token of its own address and draws what comes:
 * the supervision tree of every CPU, a table of actors that sorts by any column (mailbox depth,
 * messages, restarts: Erlang Observer's Processes tab), the statechart of a machine actor chosen in
 * the table with the states it is in lit as it moves, the messages between the actors followed in
 * the table as a sequence diagram (drawn in SVG, and given as Mermaid text), and the dead letters
 * and failures as they happen. Elements the tests look for carry `data-testid`.
 */
import { activePaths } from '../actors/runtime/machine-graph.js';
import { flowsToMermaid } from './message-flows.js';

export const inspectorPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Osprey inspector</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 1em 2em; color: #222; }
  h1 { font-size: 1.3em; } h2 { font-size: 1.05em; margin-top: 1.5em; }
  .cpus { display: flex; gap: 2em; flex-wrap: wrap; }
  ul.tree, ul.tree ul { list-style: none; padding-left: 1.2em; margin: 0; }
  ul.tree li { margin: 2px 0; white-space: nowrap; }
  .label { color: #777; } .state { color: #a35d00; font-weight: 600; } .stopped { color: #999; text-decoration: line-through; }
  table { border-collapse: collapse; } th, td { padding: 2px 10px; text-align: left; border-bottom: 1px solid #eee; }
  th { cursor: pointer; user-select: none; } th.sorted::after { content: ' ▾'; } th.sorted.up::after { content: ' ▴'; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  #connection.down { color: #b00; }
  ol#events { font-family: ui-monospace, monospace; font-size: 12px; max-height: 20em; overflow: auto; }
  .chart .box { border: 1px solid #999; border-radius: 8px; padding: 4px 8px; margin: 4px; display: inline-block; vertical-align: top; background: #fff; }
  .chart .box.active { background: #ffd27f; border-color: #b36b00; border-width: 2px; }
  .chart .box .key { font-weight: 600; } .chart .box.final .key::after { content: ' ◉'; }
  .chart .edges { font-size: 12px; color: #555; margin: 2px 0 0 0; padding: 0; list-style: none; }
  td button { font-size: 11px; margin-left: 6px; }
  #flow svg text { font: 12px system-ui, sans-serif; } #flow svg .lane { font-weight: 600; } #flow svg .time { fill: #777; }
  #flow-mermaid { font-size: 12px; max-height: 16em; overflow: auto; background: #f6f6f6; padding: 6px; }
</style>
</head>
<body>
<h1>Osprey inspector <span id="connection" data-testid="connection">connecting…</span></h1>
<div id="summary" data-testid="summary"></div>
<div id="stepping" hidden>Simulated time: <span id="virtual-time" data-testid="virtual-time"></span>
  <button data-testid="step" data-ms="10">+10 ms</button> <button data-testid="step-100" data-ms="100">+100 ms</button> <button data-testid="step-1000" data-ms="1000">+1 s</button></div>
<h2>Supervision trees</h2>
<div class="cpus" id="trees" data-testid="trees"></div>
<h2>Actors <span class="label" id="actors-shown" data-testid="actors-shown"></span></h2>
<table data-testid="actors">
  <thead><tr>
    <th data-key="name">name</th><th data-key="label">behaviour</th><th data-key="pid">pid</th><th data-key="cpu">cpu</th>
    <th data-key="state">state</th><th data-key="mailbox" data-testid="sort-mailbox">mailbox</th><th data-key="restarts">restarts</th><th></th>
  </tr></thead>
  <tbody id="actors"></tbody>
</table>
<h2>Statechart <span id="machine-name" data-testid="machine-name"></span></h2>
<div class="chart" id="machine" data-testid="machine">Choose a machine actor in the table.</div>
<h2>Message flow <span class="label">between the actors followed in the table, the latest <span id="flows-shown"></span></span></h2>
<div id="flow" data-testid="flow">Follow two actors or more in the table: the messages between them are drawn here.</div>
<details><summary>as Mermaid</summary><pre id="flow-mermaid" data-testid="flow-mermaid"></pre></details>
<h2>Dead letters and failures</h2>
<ol id="events" data-testid="events"></ol>
<script>
(() => {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  // The token stays out of the address bar and the history once read.
  history.replaceState(null, '', location.pathname);
  const state = { statuses: [], names: new Map(), sortKey: 'mailbox', descending: true, machinePid: null, machine: null, actorRowsKey: '' };
  // The server's own functions, so that the page lights what the graph marks (machine-graph.ts)
  // and writes the Mermaid the server's tests parse (message-flows.ts).
  const activePaths = ${activePaths.toString()};
  const flowsToMermaid = ${flowsToMermaid.toString()};
  const text = (value) => (value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));
  const element = (tag, attributes = {}, children = []) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    for (const child of children) node.append(child);
    return node;
  };
  const actorLine = (actor) => {
    const parts = [element('b', {}, [actor.name ?? actor.label]), ' ', element('span', { class: 'label' }, [actor.label + ' · ' + actor.pid])];
    if (actor.state !== undefined) parts.push(' ', element('span', { class: 'state', 'data-testid': 'state' }, [text(actor.state)]));
    if (actor.mailbox > 0) parts.push(' ✉ ' + actor.mailbox);
    if (actor.restarts > 0) parts.push(' ↻ ' + actor.restarts);
    return element('span', actor.status === 'running' ? {} : { class: 'stopped' }, parts);
  };
  // A node shows its first children only, and the table its first rows, so that a kernel of ten
  // thousand actors redraws as fast as a small one; the table's sort picks which rows those are.
  const childrenShownMax = 50;
  const rowsShownMax = 100;
  const treeOf = (actor) => {
    const shown = actor.children.slice(0, childrenShownMax).map(treeOf);
    if (actor.children.length > childrenShownMax) shown.push(element('li', { class: 'label' }, ['… and ' + (actor.children.length - childrenShownMax) + ' more (the table sorts them all)']));
    return element('li', { 'data-testid': 'actor', 'data-name': actor.name ?? '' }, [actorLine(actor), ...(shown.length > 0 ? [element('ul', {}, shown)] : [])]);
  };
  const rows = () => {
    const all = [];
    state.statuses.forEach((status, cpu) => {
      const walk = (actor) => { all.push({ ...actor, cpu, state: text(actor.state) }); actor.children.forEach(walk); };
      walk(status.tree);
    });
    const key = state.sortKey;
    const sign = state.descending ? -1 : 1;
    return all.sort((a, b) => (a[key] < b[key] ? -sign : a[key] > b[key] ? sign : 0));
  };
  /** A CPU's scheduler figures, as its status carries them. */
  const schedLine = (sched) => {
    if (!sched) return '';
    const parts = [sched.state];
    if (sched.load !== undefined) {
      parts.push('load ' + sched.load, 'run queue ' + sched.runQueueLength, sched.switches + ' switches', sched.migrations + ' migrations');
      if (sched.wakeLatency.count > 0) parts.push('wake p50 ' + sched.wakeLatency.p50Us + ' µs, p99 ' + sched.wakeLatency.p99Us + ' µs');
    }
    return parts.join(' · ');
  };
  /** The VM's figures, when the kernel boots it: memory free, mappings, faults, pressure. */
  const mib = (bytes) => (bytes / 1048576).toFixed(1) + ' MiB';
  const vmLine = (vm) => 'vm · ' + mib(vm.freeBytes) + ' free of ' + mib(vm.physicalBytes) + ' · ' + vm.mappings + ' mappings · ' +
    (vm.faults4k + vm.faults2m + vm.faults1g) + ' faults · TLB ' + vm.tlbHits + ' hits, ' + vm.tlbMisses + ' misses · pressure ' + vm.pressure.state;
  /**
   * Any other subsystem's figures, as its status gives them: a plug-in (the storage pool among
   * them) shows on the page without the page knowing it. Nested figures are named by their path;
   * a list shows its length; at most 16 figures.
   */
  const figuresShownMax = 16;
  const subsystemLine = (name, status) => {
    const figures = [];
    const walk = (value, path) => {
      if (figures.length >= figuresShownMax) return;
      if (Array.isArray(value)) figures.push(path + ' [' + value.length + ']');
      else if (value !== null && typeof value === 'object') for (const [key, child] of Object.entries(value)) walk(child, path === '' ? key : path + '.' + key);
      else figures.push((path === '' ? '' : path + ' ') + text(value));
    };
    walk(status, '');
    return [name, ...figures].join(' · ');
  };
  /**
   * The storage subsystem: its open devices on one line, then each pool as \`zpool status\` lays it
   * out, its top-level device and its devices with their read, write and checksum errors.
   */
  const zfsPanel = (zfs) => {
    const devices = Object.entries(zfs.devices).map(([name, device]) => name + ' ' + device.state);
    const pools = Object.entries(zfs.pools).map(([name, pool]) => {
      const nested = pool.layout !== 'single';
      const rows = [[name, pool.state, '', '', '']];
      if (nested) rows.push(['  ' + pool.layout + '-0', pool.state, '', '', '']);
      // A missing device as zpool shows it: unavailable, no errors counted, and what it was.
      for (const device of pool.devices)
        rows.push(device.state === 'missing'
          ? [(nested ? '    ' : '  ') + device.name, 'unavail', 0, 0, 0, device.was ? '  was ' + device.was : '']
          : [(nested ? '    ' : '  ') + device.name, device.state, device.readErrors, device.writeErrors, device.checksumErrors]);
      const width = Math.max(...rows.map((row) => row[0].length)) + 2;
      // Each count right-aligned under its heading, a space before it, however many digits it has.
      const counts = (cells) => cells.map((cell) => ' ' + String(cell).padStart(5)).join('');
      const lines = rows.map((row) => row[0].padEnd(width) + String(row[1]).toUpperCase().padEnd(10) + counts([row[2], row[3], row[4]]) + (row[5] ?? ''));
      const header = name + ' · ' + pool.layout + ' · txg ' + pool.txg + ' (' + pool.txgState + ') · ' + mib(pool.usedBytes) + ' used, ' + mib(pool.freeBytes) + ' free';
      return element('pre', { class: 'label', 'data-testid': 'zfs-pool', 'data-name': name }, [header + '\\n' + ['NAME'.padEnd(width) + 'STATE'.padEnd(10) + counts(['READ', 'WRITE', 'CKSUM']), ...lines].join('\\n')]);
    });
    return element('div', { 'data-testid': 'zfs' }, [element('div', { class: 'label' }, ['zfs · ' + (devices.length === 0 ? 'no devices open' : devices.join(', '))]), ...pools]);
  };
  const ownLines = new Set(['sched', 'vm', 'zfs']);
  let renders = 0;
  const render = () => {
    // Counted on the body, for the bench that measures how often the page keeps up.
    document.body.dataset.renders = String(++renders);
    const statuses = state.statuses;
    // A simulated kernel moves only when driven: the page may step it.
    document.getElementById('stepping').hidden = statuses.length === 0 || statuses[0].mode !== 'simulated';
    document.getElementById('summary').textContent = statuses.length === 0 ? '' : statuses[0].mode + ' kernel, seed ' + statuses[0].seed + ', ' + statuses.length + ' cpu(s), ' +
      statuses.reduce((sum, status) => sum + status.actors, 0) + ' actors, ' + statuses.reduce((sum, status) => sum + status.messagesHandled, 0) + ' messages handled';
    document.getElementById('trees').replaceChildren(...statuses.map((status, cpu) => element('div', { 'data-testid': 'cpu-' + cpu }, [
      element('b', {}, ['cpu ' + cpu]), ' ', element('span', { class: 'label', 'data-testid': 'sched' }, [schedLine(status.subsystems.sched)]),
      ...(status.subsystems.vm ? [element('div', { class: 'label', 'data-testid': 'vm' }, [vmLine(status.subsystems.vm)])] : []),
      ...(status.subsystems.zfs ? [zfsPanel(status.subsystems.zfs)] : []),
      ...Object.entries(status.subsystems).filter(([name, figures]) => !ownLines.has(name) && figures !== undefined)
        .map(([name, figures]) => element('div', { class: 'label', 'data-testid': 'subsystem', 'data-name': name }, [subsystemLine(name, figures)])),
      element('ul', { class: 'tree' }, [treeOf(status.tree)]),
    ])));
    const sorted = rows();
    document.getElementById('actors-shown').textContent = sorted.length > rowsShownMax ? '(the first ' + rowsShownMax + ' of ' + sorted.length + ')' : '';
    // Rows are rebuilt only when what they show changed: a rebuild replaces every checkbox and
    // button, and a click that lands on a replaced one is lost.
    const shown = sorted.slice(0, rowsShownMax);
    const shownKey = JSON.stringify(shown.map((row) => [row.name, row.label, row.pid, row.cpu, row.state, row.mailbox, row.restarts]));
    if (shownKey !== state.actorRowsKey) {
      state.actorRowsKey = shownKey;
      document.getElementById('actors').replaceChildren(...shown.map((row) => element('tr', { 'data-testid': 'actor-row', 'data-name': row.name ?? '' }, [
        element('td', {}, [row.name ?? '']), element('td', {}, [row.label]), element('td', {}, [row.pid]), element('td', { class: 'num' }, [String(row.cpu)]),
        element('td', {}, [row.state, ...(row.state !== '' ? [statechartButton(row.pid)] : [])]),
        element('td', { class: 'num', 'data-testid': 'mailbox' }, [String(row.mailbox)]), element('td', { class: 'num', 'data-testid': 'restarts' }, [String(row.restarts)]),
        element('td', {}, [actionButton('stop', row), actionButton('kill', row), followBox(row.pid)]),
      ])));
    }
    renderMachine();
    for (const header of document.querySelectorAll('th')) {
      header.classList.toggle('sorted', header.dataset.key === state.sortKey);
      header.classList.toggle('up', header.dataset.key === state.sortKey && !state.descending);
    }
  };
  /** Follows an actor's messages to and from the other actors followed (at most 32). */
  const followed = new Set();
  const followBox = (pid) => {
    const box = element('input', { type: 'checkbox', 'data-testid': 'follow', title: 'follow its messages' });
    box.checked = followed.has(pid);
    box.addEventListener('change', () => {
      if (box.checked) followed.add(pid);
      else followed.delete(pid);
      socket.send(JSON.stringify({ type: 'follow', pids: [...followed] }));
    });
    return element('label', {}, [box, ' follow']);
  };
  /** Stops or kills an actor once its user confirms, as Observer does. */
  const actionButton = (action, row) => {
    const button = element('button', { 'data-testid': action }, [action]);
    button.addEventListener('click', () => {
      const what = (row.name || row.label) + ' ' + row.pid;
      const consequence = action === 'kill' ? 'It dies at once; its supervisor decides what follows.' : 'It and its children stop, with reason shutdown.';
      if (confirm((action === 'kill' ? 'Kill ' : 'Stop ') + what + '? ' + consequence)) socket.send(JSON.stringify({ type: action, pid: row.pid }));
    });
    return button;
  };
  const statechartButton = (pid) => {
    const button = element('button', { 'data-testid': 'show-machine' }, ['statechart']);
    button.addEventListener('click', () => {
      state.machinePid = pid;
      socket.send(JSON.stringify({ type: 'machine', pid }));
    });
    return button;
  };
  /** The chosen machine actor's statechart, lit from its state in the latest sample. */
  const renderMachine = () => {
    const panel = document.getElementById('machine');
    if (state.machine === null) return;
    let value;
    const find = (actor) => { if (actor.pid === state.machinePid) value = actor.state; actor.children.forEach(find); };
    state.statuses.forEach((status) => find(status.tree));
    const active = new Set(activePaths(value).map((path) => path.join('.')));
    const graph = state.machine;
    const box = (node) => {
      const edges = graph.transitions.filter((edge) => edge.source === node.id && edge.target !== '');
      const keyOf = (id) => graph.states.find((candidate) => candidate.id === id)?.key ?? id;
      return element('div', { class: 'box' + (active.has(node.id) ? ' active' : '') + (node.type === 'final' ? ' final' : ''), 'data-testid': 'machine-state', 'data-state': node.id, 'data-active': String(active.has(node.id)) }, [
        element('div', { class: 'key' }, [node.key]),
        element('ul', { class: 'edges' }, edges.map((edge) => element('li', {}, [edge.event + (edge.guard ? ' [' + edge.guard + ']' : '') + ' → ' + keyOf(edge.target)]))),
        ...graph.states.filter((child) => child.parent === node.id).map(box),
      ]);
    };
    document.getElementById('machine-name').textContent = graph.machine + ' ' + state.machinePid;
    panel.replaceChildren(...graph.states.filter((node) => node.parent === '').map(box));
  };
  /** The latest messages between the followed actors, oldest first. */
  const flowsShownMax = 40;
  const flows = [];
  let flowsPending = false;
  const svg = (tag, attributes = {}, children = []) => {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
    for (const child of children) node.append(child);
    return node;
  };
  /** The flows as a sequence diagram: a lane per actor, an arrow per message, time downwards. */
  const renderFlows = () => {
    const name = (pid) => state.names.get(pid) ?? '';
    const lanes = [];
    for (const flow of flows) for (const pid of [flow.from, flow.to]) if (!lanes.includes(pid)) lanes.push(pid);
    const laneWidth = 170, rowHeight = 26, top = 46, left = 90;
    const x = (pid) => left + lanes.indexOf(pid) * laneWidth + laneWidth / 2;
    const height = top + flows.length * rowHeight + 12;
    const parts = [svg('defs', {}, [svg('marker', { id: 'arrowhead', markerWidth: 8, markerHeight: 8, refX: 7, refY: 4, orient: 'auto' }, [svg('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#333' })])])];
    for (const pid of lanes) {
      parts.push(svg('rect', { x: x(pid) - laneWidth / 2 + 8, y: 4, width: laneWidth - 16, height: 30, rx: 5, fill: '#eef3fb', stroke: '#7a8fb3' }));
      parts.push(svg('text', { class: 'lane', x: x(pid), y: 18, 'text-anchor': 'middle' }, [name(pid) || pid]));
      parts.push(svg('text', { class: 'time', x: x(pid), y: 30, 'text-anchor': 'middle' }, [name(pid) ? pid : '']));
      parts.push(svg('line', { x1: x(pid), y1: 34, x2: x(pid), y2: height, stroke: '#aaa', 'stroke-dasharray': '4 3' }));
    }
    flows.forEach((flow, row) => {
      const y = top + row * rowHeight + 16;
      const from = x(flow.from), to = x(flow.to);
      const line = flow.from === flow.to
        ? svg('path', { d: 'M' + from + ',' + (y - 8) + ' h 30 v 12 h -28', fill: 'none', stroke: '#333', 'marker-end': 'url(#arrowhead)' })
        : svg('line', { x1: from, y1: y, x2: to + (to > from ? -2 : 2), y2: y, stroke: '#333', 'marker-end': 'url(#arrowhead)' });
      const labelX = flow.from === flow.to ? from + 36 : (from + to) / 2;
      parts.push(svg('g', { 'data-testid': 'flow-arrow', 'data-from': name(flow.from) || flow.from, 'data-to': name(flow.to) || flow.to, 'data-type': flow.messageType }, [
        svg('text', { class: 'time', x: 4, y: y + 4 }, [flow.atMs.toFixed(1) + ' ms']),
        line,
        svg('text', { x: labelX, y: y - 4, 'text-anchor': flow.from === flow.to ? 'start' : 'middle' }, [flow.messageType]),
      ]));
    });
    document.getElementById('flows-shown').textContent = flows.length + ' message(s)';
    document.getElementById('flow').replaceChildren(svg('svg', { width: left + lanes.length * laneWidth, height, 'data-testid': 'flow-diagram' }, parts));
    document.getElementById('flow-mermaid').textContent = flowsToMermaid(flows, name);
  };
  for (const button of document.querySelectorAll('#stepping button')) {
    button.addEventListener('click', () => socket.send(JSON.stringify({ type: 'advance', ms: Number(button.dataset.ms) })));
  }
  for (const header of document.querySelectorAll('th')) {
    header.addEventListener('click', () => {
      state.descending = header.dataset.key === state.sortKey ? !state.descending : true;
      state.sortKey = header.dataset.key;
      render();
    });
  }
  const socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws?token=' + encodeURIComponent(token));
  const connection = document.getElementById('connection');
  socket.addEventListener('open', () => { connection.textContent = 'live'; connection.className = ''; });
  socket.addEventListener('close', () => { connection.textContent = 'disconnected'; connection.className = 'down'; });
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(event.data);
    if (message.type === 'status') {
      state.statuses = message.cpus;
      state.names = new Map();
      const walk = (actor) => { if (actor.name) state.names.set(actor.pid, actor.name); actor.children.forEach(walk); };
      state.statuses.forEach((status) => walk(status.tree));
      render();
    } else if (message.type === 'machine') {
      if (message.pid !== state.machinePid) return;
      if (message.error !== undefined) {
        state.machine = null;
        document.getElementById('machine').textContent = message.error;
      } else {
        state.machine = message.graph;
        renderMachine();
      }
    } else if (message.type === 'flow') {
      flows.push(message);
      if (flows.length > flowsShownMax) flows.shift();
      // Drawn once a frame however fast the messages come.
      if (!flowsPending) {
        flowsPending = true;
        requestAnimationFrame(() => { flowsPending = false; renderFlows(); });
      }
    } else if (message.type === 'following') {
      // The server follows what the page asked for.
    } else if (message.type === 'advanced') {
      document.getElementById('virtual-time').textContent = message.error ?? message.atMs + ' ms';
    } else {
      const said = message.type === 'acted' ? message.action + ' ' + message.pid + (message.error ? ': ' + message.error : ': done')
        : message.type + ': ' + message.text + (message.causes ?? []).map((cause) => '  ← caused by ' + cause).join('');
      const events = document.getElementById('events');
      events.prepend(element('li', { 'data-testid': message.type }, [said]));
      while (events.children.length > 200) events.lastChild.remove();
    }
  });
})();
</script>
</body>
</html>
`;
