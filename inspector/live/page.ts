/**
 * The inspector's page: one HTML document with its script inline (nothing else to fetch), which
 * connects to the inspector's WebSocket with the token of its own address and draws what comes:
 * the supervision tree of every CPU, a table of actors that sorts by any column (mailbox depth,
 * messages, restarts: Erlang Observer's Processes tab), and the dead letters and failures as they
 * happen. Elements the tests look for carry `data-testid`.
 */
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
</style>
</head>
<body>
<h1>Osprey inspector <span id="connection" data-testid="connection">connecting…</span></h1>
<div id="summary" data-testid="summary"></div>
<h2>Supervision trees</h2>
<div class="cpus" id="trees" data-testid="trees"></div>
<h2>Actors</h2>
<table data-testid="actors">
  <thead><tr>
    <th data-key="name">name</th><th data-key="label">behaviour</th><th data-key="pid">pid</th><th data-key="cpu">cpu</th>
    <th data-key="state">state</th><th data-key="mailbox" data-testid="sort-mailbox">mailbox</th><th data-key="restarts">restarts</th>
  </tr></thead>
  <tbody id="actors"></tbody>
</table>
<h2>Dead letters and failures</h2>
<ol id="events" data-testid="events"></ol>
<script>
(() => {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const state = { statuses: [], sortKey: 'mailbox', descending: true };
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
  const treeOf = (actor) => element('li', { 'data-testid': 'actor', 'data-name': actor.name ?? '' }, [actorLine(actor), ...(actor.children.length > 0 ? [element('ul', {}, actor.children.map(treeOf))] : [])]);
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
  const render = () => {
    const statuses = state.statuses;
    document.getElementById('summary').textContent = statuses.length === 0 ? '' : statuses[0].mode + ' kernel, seed ' + statuses[0].seed + ', ' + statuses.length + ' cpu(s), ' +
      statuses.reduce((sum, status) => sum + status.actors, 0) + ' actors, ' + statuses.reduce((sum, status) => sum + status.messagesHandled, 0) + ' messages handled';
    document.getElementById('trees').replaceChildren(...statuses.map((status, cpu) => element('div', { 'data-testid': 'cpu-' + cpu }, [element('b', {}, ['cpu ' + cpu]), element('ul', { class: 'tree' }, [treeOf(status.tree)])])));
    document.getElementById('actors').replaceChildren(...rows().map((row) => element('tr', { 'data-testid': 'actor-row', 'data-name': row.name ?? '' }, [
      element('td', {}, [row.name ?? '']), element('td', {}, [row.label]), element('td', {}, [row.pid]), element('td', { class: 'num' }, [String(row.cpu)]),
      element('td', {}, [row.state]), element('td', { class: 'num', 'data-testid': 'mailbox' }, [String(row.mailbox)]), element('td', { class: 'num' }, [String(row.restarts)]),
    ])));
    for (const header of document.querySelectorAll('th')) {
      header.classList.toggle('sorted', header.dataset.key === state.sortKey);
      header.classList.toggle('up', header.dataset.key === state.sortKey && !state.descending);
    }
  };
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
      render();
    } else if (message.type === 'dead-letter' || message.type === 'failure') {
      const events = document.getElementById('events');
      events.prepend(element('li', { 'data-testid': message.type }, [message.type + ': ' + message.text]));
      while (events.children.length > 200) events.lastChild.remove();
    }
  });
})();
</script>
</body>
</html>
`;
