// The live graph at "/": polls /api/graph (the graph document of docs/schema.md), lays it out with
// Cytoscape.js (vendored, see vendor/VENDORED.md), highlights search matches and shows the sockets,
// fds and pids of what is clicked. Every string from the host is put into the page as text
// (textContent, or Cytoscape's canvas labels), never as HTML.
(function () {
  'use strict';

  var REFRESH_MS = 5000;
  var FILTERS = ['pid', 'path', 'type', 'state', 'user'];

  var pageQuery = new URLSearchParams(window.location.search);
  var groupSelect = document.getElementById('group');
  var search = document.getElementById('search');
  var status = document.getElementById('status');
  var details = document.getElementById('details');
  var warnings = document.getElementById('warnings');
  if (pageQuery.get('group')) {
    groupSelect.value = pageQuery.get('group');
  }

  var cy = cytoscape({
    container: document.getElementById('graph'),
    minZoom: 0.05,
    maxZoom: 4,
    style: [
      { selector: 'node', style: {
        'shape': 'round-rectangle', 'background-color': '#e8f0fe', 'border-width': 1, 'border-color': '#5b7db1',
        'label': 'data(text)', 'text-wrap': 'wrap', 'text-valign': 'center', 'text-halign': 'center',
        'font-size': 10, 'width': 'data(w)', 'height': 'data(h)', 'color': '#1d1d1f' } },
      { selector: 'node[kind = "command"]', style: { 'background-color': '#e6f4ea', 'border-color': '#3c8d4f' } },
      { selector: 'node[kind = "container"], node[kind = "unit"]', style: { 'shape': 'rectangle', 'background-color': '#fdf1e3', 'border-color': '#b0731f', 'border-width': 2 } },
      { selector: 'node[kind = "unknown"]', style: { 'shape': 'ellipse', 'background-color': '#f1f1f1', 'border-style': 'dashed', 'border-color': '#888' } },
      { selector: 'edge', style: {
        'curve-style': 'bezier', 'width': 1.5, 'arrow-scale': 1.3, 'line-color': '#6b7280', 'target-arrow-color': '#6b7280', 'target-arrow-shape': 'triangle',
        'label': 'data(text)', 'font-size': 9, 'text-rotation': 'autorotate', 'text-background-color': '#ffffff', 'text-background-opacity': 0.85,
        'text-background-padding': 1, 'color': '#374151' } },
      { selector: 'edge[kind = "pair"]', style: { 'line-style': 'dashed', 'target-arrow-shape': 'none' } },
      { selector: 'edge[kind = "pending"]', style: { 'line-style': 'dotted' } },
      { selector: 'edge[?crossNetns]', style: { 'line-color': '#b22222', 'target-arrow-color': '#b22222', 'color': '#b22222', 'width': 2.5 } },
      { selector: '.dim', style: { 'opacity': 0.2 } },
      { selector: 'node.match', style: { 'background-color': '#ffe066', 'border-color': '#c98a00', 'border-width': 3 } },
      { selector: 'edge.match', style: { 'line-color': '#c98a00', 'target-arrow-color': '#c98a00', 'width': 4 } },
      { selector: ':selected', style: { 'overlay-color': '#1a5fb4', 'overlay-opacity': 0.15, 'overlay-padding': 4 } }
    ]
  });

  var state = { doc: null, nodes: {}, refreshes: 0, failures: 0, selected: null };
  // For the browser tests and for anyone at the console.
  window.sockpeer = { cy: cy, state: state };

  function apiUrl() {
    var q = new URLSearchParams();
    FILTERS.forEach(function (name) {
      var v = pageQuery.get(name);
      if (v !== null && v !== '') { q.set(name, v); }
    });
    q.set('group', groupSelect.value);
    return 'api/graph?' + q.toString();
  }

  function edgeId(e) {
    return JSON.stringify([e.from, e.to, e.name, e.kind]);
  }

  function nodeText(n) {
    var lines = [n.label];
    if (n.user) { lines.push('user ' + n.user); }
    if (n.container && n.kind !== 'container') { lines.push('container ' + n.container); }
    var listening = n.listening || [];
    listening.slice(0, 4).forEach(function (name) { lines.push('listening ' + name); });
    if (listening.length > 4) { lines.push('and ' + (listening.length - 4) + ' more listening'); }
    return lines.join('\n');
  }

  function edgeText(e) {
    var text = (e.kind === 'pending' ? 'pending ' : '') + e.name;
    if (e.connections > 1) { text += ' \u00d7' + e.connections; }
    return text;
  }

  function apply(doc) {
    var seen = {};
    var added = 0;
    var removed = 0;
    state.nodes = {};
    cy.batch(function () {
      doc.nodes.forEach(function (n) {
        state.nodes[n.id] = n;
        seen[n.id] = true;
        var text = nodeText(n);
        var lines = text.split('\n');
        // Sized from the text (Cytoscape's width: label is deprecated): about 6 px a character, 13 a line.
        var longest = lines.reduce(function (m, l) { return Math.max(m, l.length); }, 0);
        var data = { id: n.id, text: text, kind: n.kind, w: Math.max(50, longest * 6 + 16), h: lines.length * 13 + 12 };
        var el = cy.getElementById(n.id);
        if (el.empty()) { cy.add({ group: 'nodes', data: data }); added++; } else { el.data(data); }
      });
      doc.edges.forEach(function (e) {
        var id = edgeId(e);
        seen[id] = true;
        var data = { id: id, source: e.from, target: e.to, text: edgeText(e), kind: e.kind, crossNetns: e.crossNetns, doc: e };
        var el = cy.getElementById(id);
        if (el.empty()) { cy.add({ group: 'edges', data: data }); added++; } else { el.data(data); }
      });
      cy.elements().forEach(function (el) {
        if (!seen[el.id()]) { el.remove(); removed++; }
      });
    });
    if (added > 0 || removed > 0) {
      // Only a changed shape is laid out again: a steady host keeps its picture still.
      cy.layout({ name: 'cose', animate: false, randomize: state.refreshes === 0, nodeDimensionsIncludeLabels: true,
        idealEdgeLength: function () { return 120; }, nodeRepulsion: function () { return 9000; }, padding: 20 }).run();
      if (state.refreshes === 0) { cy.fit(undefined, 20); }
    }
    warnings.textContent = '';
    (doc.warnings || []).forEach(function (w) {
      var li = document.createElement('li');
      li.textContent = w;
      warnings.appendChild(li);
    });
    highlight();
    if (state.selected) {
      var again = cy.getElementById(state.selected);
      if (again.nonempty()) { show(again); } else { state.selected = null; }
    }
  }

  function refresh() {
    return fetch(apiUrl(), { headers: { 'Accept': 'application/json' }, cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) {
          return r.text().then(function (t) { throw new Error(r.status + ' ' + t.trim()); });
        }
        return r.json();
      })
      .then(function (doc) {
        state.doc = doc;
        apply(doc);
        state.refreshes++;
        status.className = '';
        status.textContent = doc.nodes.length + ' nodes, ' + doc.edges.length + ' edges; updated ' + new Date().toLocaleTimeString();
      })
      .catch(function (err) {
        state.failures++;
        status.className = 'error';
        status.textContent = 'could not refresh: ' + err.message;
      });
  }

  function matches(el, needle) {
    if (el.isNode()) {
      var n = state.nodes[el.id()];
      if (!n) { return false; }
      if (n.label.toLowerCase().indexOf(needle) >= 0) { return true; }
      if (n.pids.some(function (p) { return String(p) === needle; })) { return true; }
      return (n.listening || []).some(function (name) { return name.toLowerCase().indexOf(needle) >= 0; });
    }
    return el.data('doc').name.toLowerCase().indexOf(needle) >= 0;
  }

  function highlight() {
    var needle = search.value.trim().toLowerCase();
    cy.batch(function () {
      cy.elements().removeClass('match dim');
      if (needle === '') { return; }
      var hits = cy.elements().filter(function (el) { return matches(el, needle); });
      hits.addClass('match');
      cy.elements().not(hits).not(hits.connectedNodes()).not(hits.connectedEdges()).addClass('dim');
    });
  }

  function el(tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function list(pairs) {
    var dl = el('dl');
    pairs.forEach(function (p) {
      if (p[1] === null || p[1] === undefined || p[1] === '') { return; }
      dl.appendChild(el('dt', p[0]));
      dl.appendChild(el('dd', p[1]));
    });
    return dl;
  }

  function table(head, rows) {
    var t = el('table');
    var tr = el('tr');
    head.forEach(function (h) { tr.appendChild(el('th', h)); });
    t.appendChild(tr);
    rows.forEach(function (r) {
      var row = el('tr');
      r.forEach(function (c) { row.appendChild(el('td', c)); });
      t.appendChild(row);
    });
    return t;
  }

  function holdersOf(node, inode) {
    if (!node) { return 'not visible'; }
    var fds = node.sockets.filter(function (s) { return s.inode === inode; })
      .map(function (s) { return s.pid + ':' + s.fd; });
    return fds.length ? fds.join(' ') : 'not visible';
  }

  function show(target) {
    state.selected = target.id();
    details.textContent = '';
    if (target.isNode()) {
      var n = state.nodes[target.id()];
      details.appendChild(el('h2', n.label));
      details.appendChild(list([['kind', n.kind], ['pids', n.pids.join(' ')], ['user', n.user], ['container', n.container],
        ['unit', n.unit], ['netns', n.netns], ['listening', (n.listening || []).join('\n')]]));
      details.appendChild(table(['pid', 'fd', 'socket', 'type', 'state', 'name'], n.sockets.map(function (s) {
        return [s.pid, s.fd, s.inode, s.type, s.state, s.name === null ? '(unnamed)' : s.name];
      })));
    } else {
      var e = target.data('doc');
      var from = state.nodes[e.from];
      var to = state.nodes[e.to];
      details.appendChild(el('h2', e.name));
      details.appendChild(list([['from', from ? from.label : e.from], ['to', to ? to.label : e.to], ['kind', e.kind],
        ['connections', e.connections], ['across netns', e.crossNetns ? 'yes' : 'no']]));
      details.appendChild(table(['client socket', 'client pid:fd', 'server socket', 'server pid:fd'], (e.sockets || []).map(function (c) {
        return [c.client, holdersOf(from, c.client), c.server, holdersOf(to, c.server)];
      })));
    }
  }

  cy.on('tap', 'node, edge', function (evt) { show(evt.target); });
  search.addEventListener('input', highlight);
  groupSelect.addEventListener('change', function () {
    cy.elements().remove();
    state.refreshes = 0;
    state.selected = null;
    refresh();
  });

  refresh();
  setInterval(refresh, REFRESH_MS);
})();
