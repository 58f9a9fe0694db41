// The live graph at "/": polls /api/graph (the graph document of docs/schema.md), lays it out with
// Cytoscape.js and its fCoSE layout (vendored, see vendor/VENDORED.md), highlights search matches and
// shows the sockets, fds and pids of what is clicked. On a crowded host (more than CROWDED nodes) the
// processes of one command or container (GROUP_MIN or more) are drawn as one compound node whose
// members are labelled by pid, labels are cut to one line and edge labels hidden; the full text shows
// on hover. After the force layout, a pass puts each group's members on a grid, pushes apart whatever
// still overlaps and packs the connected parts into the graph's area, so no two nodes overlap and the
// view is fitted to all of them. Every string from the host is put into the page as text
// (textContent, or Cytoscape's canvas labels), never as HTML.
(function () {
  'use strict';

  var REFRESH_MS = 5000;
  var FILTERS = ['pid', 'path', 'type', 'state', 'user'];
  var CROWDED = 12;      // more nodes than this: group, collapse labels, hide edge labels
  var GROUP_MIN = 3;     // processes of one command or container that make a group
  var LABEL_MAX = 28;    // characters of a collapsed label
  var GAP = 12;          // model pixels kept between two nodes' boxes
  var MAX_FIT_ZOOM = 1.6;

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
        'font-size': 11, 'color': '#1d1d1f' } },
      { selector: 'node[w][h]', style: { 'width': 'data(w)', 'height': 'data(h)' } },
      { selector: 'node[kind = "group"]', style: {
        'shape': 'round-rectangle', 'background-color': '#f4f6fa', 'background-opacity': 0.8, 'border-color': '#9aa7bd', 'border-style': 'dashed',
        'label': 'data(text)', 'text-valign': 'top', 'text-halign': 'center', 'text-margin-y': -3, 'font-size': 12, 'font-weight': 'bold',
        'padding': 10, 'color': '#374151' } },
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
      { selector: 'edge.quiet', style: { 'text-opacity': 0, 'text-background-opacity': 0 } },
      { selector: 'edge.quiet.hover, edge.quiet.match, edge.quiet:selected', style: { 'text-opacity': 1, 'text-background-opacity': 0.85, 'z-index': 10 } },
      { selector: '.dim', style: { 'opacity': 0.2 } },
      { selector: 'node.match', style: { 'background-color': '#ffe066', 'border-color': '#c98a00', 'border-width': 3 } },
      { selector: 'edge.match', style: { 'line-color': '#c98a00', 'target-arrow-color': '#c98a00', 'width': 4 } },
      { selector: ':selected', style: { 'overlay-color': '#1a5fb4', 'overlay-opacity': 0.15, 'overlay-padding': 4 } }
    ]
  });

  var state = { doc: null, nodes: {}, refreshes: 0, failures: 0, selected: null, layouts: 0, fallbacks: 0 };
  var tip = document.createElement('div');
  tip.id = 'tip';
  tip.hidden = true;
  document.getElementById('graph').appendChild(tip);

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

  function cut(text) {
    return text.length > LABEL_MAX ? text.slice(0, LABEL_MAX - 1) + '\u2026' : text;
  }

  // The command of a process node: its label without the trailing "[pid]".
  function commandOf(n) {
    var at = n.label.lastIndexOf('[');
    return at > 0 ? n.label.slice(0, at) : n.label;
  }

  // Which group each process node joins on a crowded host: its container's, else its command's,
  // when GROUP_MIN or more processes share it. Returns node id -> { id, text, members }.
  function groupsOf(doc) {
    var result = {};
    if (doc.nodes.length <= CROWDED) { return result; }
    var byKey = {};
    doc.nodes.forEach(function (n) {
      if (n.kind !== 'process') { return; }
      var key = n.container ? 'container ' + n.container : commandOf(n);
      (byKey[key] = byKey[key] || []).push(n);
    });
    Object.keys(byKey).forEach(function (key) {
      var members = byKey[key];
      if (members.length < GROUP_MIN) { return; }
      var users = members.map(function (n) { return n.user; }).filter(function (u, i, all) { return all.indexOf(u) === i; });
      var group = { id: 'g/' + key, members: members.length,
        text: cut(key) + ' \u00d7' + members.length + (users.length === 1 && users[0] ? ' (user ' + users[0] + ')' : '') };
      members.forEach(function (n) { result[n.id] = group; });
    });
    return result;
  }

  // What a node shows: everything on a small graph; one cut line on a crowded one; a group's member
  // shows its pid (its group's label names the command).
  function shownText(n, group, crowded) {
    if (group) { return n.pids.join(' '); }
    return crowded ? cut(n.label) : nodeText(n);
  }

  // An edge's label: a long path cut to its last part (the whole name shows on hover and in the details).
  function edgeLabel(e) {
    var name = e.name;
    var slash = name.lastIndexOf('/');
    if (name.length > LABEL_MAX && slash > 0) { name = '\u2026' + name.slice(slash); }
    return edgeText(e, cut(name));
  }

  function edgeText(e, name) {
    var text = (e.kind === 'pending' ? 'pending ' : '') + (name === undefined ? e.name : name);
    if (e.connections > 1) { text += ' \u00d7' + e.connections; }
    return text;
  }

  function apply(doc) {
    var seen = {};
    var changed = false;
    var crowded = doc.nodes.length > CROWDED;
    var groups = groupsOf(doc);
    state.nodes = {};
    // The warnings first: they take room from the graph, which is fitted after.
    warnings.textContent = '';
    (doc.warnings || []).forEach(function (w) {
      var li = document.createElement('li');
      li.textContent = w;
      warnings.appendChild(li);
    });
    cy.batch(function () {
      Object.keys(groups).forEach(function (id) {
        var g = groups[id];
        if (seen[g.id]) { return; }
        seen[g.id] = true;
        var data = { id: g.id, text: g.text, kind: 'group', members: g.members };
        var el = cy.getElementById(g.id);
        if (el.empty()) { cy.add({ group: 'nodes', data: data }); changed = true; } else { el.data(data); }
      });
      doc.nodes.forEach(function (n) {
        state.nodes[n.id] = n;
        seen[n.id] = true;
        var group = groups[n.id];
        var text = shownText(n, group, crowded);
        var lines = text.split('\n');
        // Sized from the text (Cytoscape's width: label is deprecated): about 6.6 px a character, 14 a line.
        var longest = lines.reduce(function (m, l) { return Math.max(m, l.length); }, 0);
        var data = { id: n.id, text: text, kind: n.kind, w: Math.max(group ? 40 : 50, Math.ceil(longest * 6.6) + 16), h: lines.length * 14 + 10 };
        var parent = group ? group.id : null;
        var el = cy.getElementById(n.id);
        if (el.empty()) {
          if (parent) { data.parent = parent; }
          cy.add({ group: 'nodes', data: data });
          changed = true;
        } else {
          el.data(data);
          var now = el.parent().nonempty() ? el.parent().id() : null;
          if (now !== parent) { el.move({ parent: parent }); changed = true; }
        }
      });
      doc.edges.forEach(function (e) {
        var id = edgeId(e);
        seen[id] = true;
        var data = { id: id, source: e.from, target: e.to, text: edgeLabel(e), kind: e.kind, crossNetns: e.crossNetns, doc: e };
        var el = cy.getElementById(id);
        if (el.empty()) { cy.add({ group: 'edges', data: data }); changed = true; } else { el.data(data); }
      });
      cy.elements().forEach(function (el) {
        if (!seen[el.id()]) { el.remove(); changed = true; }
      });
      if (doc.edges.length > CROWDED) { cy.edges().addClass('quiet'); } else { cy.edges().removeClass('quiet'); }
    });
    if (changed) {
      // Only a changed shape is laid out again: a steady host keeps its picture still.
      layout(state.layouts === 0);
    }
    highlight();
    if (state.selected) {
      var again = cy.getElementById(state.selected);
      if (again.nonempty()) { show(again); } else { state.selected = null; }
    }
  }

  function box(n) {
    return n.boundingBox({ includeLabels: true, includeOverlays: false });
  }

  function moveBy(n, dx, dy) {
    (n.isParent() ? n.descendants() : n).shift({ x: dx, y: dy });
  }

  // A group's members on a grid of equal cells, by pid, about as wide as the graph's area is.
  function tile(group, aspect) {
    var kids = group.children().sort(function (a, b) { return a.id() < b.id() ? -1 : a.id() > b.id() ? 1 : 0; });
    if (kids.length === 0) { return; }
    var around = box(kids);
    var cw = 0, ch = 0;
    kids.forEach(function (k) { var b = box(k); cw = Math.max(cw, b.w + GAP / 2); ch = Math.max(ch, b.h + GAP / 2); });
    var cols = Math.max(1, Math.min(kids.length, Math.round(Math.sqrt(kids.length * aspect * ch / cw))));
    var rows = Math.ceil(kids.length / cols);
    var cx = (around.x1 + around.x2) / 2, cyy = (around.y1 + around.y2) / 2;
    kids.forEach(function (k, i) {
      k.position({ x: cx + ((i % cols) - (cols - 1) / 2) * cw, y: cyy + (Math.floor(i / cols) - (rows - 1) / 2) * ch });
    });
  }

  function overlap(a, b) {
    return a.x1 < b.x2 + GAP && b.x1 < a.x2 + GAP && a.y1 < b.y2 + GAP && b.y1 < a.y2 + GAP;
  }

  // Pushes apart any two overlapping top-level items (nodes, or groups with their members) along the
  // axis where they overlap least. Returns whether nothing overlaps any more.
  function separate(items) {
    var rounds = Math.max(20, Math.min(200, Math.floor(200000 / (items.length * items.length + 1))));
    for (var round = 0; round < rounds; round++) {
      var boxes = items.map(box);
      var moved = false;
      for (var i = 0; i < items.length; i++) {
        for (var j = i + 1; j < items.length; j++) {
          var a = boxes[i], b = boxes[j];
          if (!overlap(a, b)) { continue; }
          moved = true;
          var ox = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1) + GAP;
          var oy = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1) + GAP;
          var sx = (a.x1 + a.x2 <= b.x1 + b.x2) ? -1 : 1, sy = (a.y1 + a.y2 <= b.y1 + b.y2) ? -1 : 1;
          var dx = ox < oy ? sx * ox / 2 : 0, dy = ox < oy ? 0 : sy * oy / 2;
          moveBy(items[i], dx, dy);
          moveBy(items[j], -dx, -dy);
          boxes[i] = { x1: a.x1 + dx, x2: a.x2 + dx, y1: a.y1 + dy, y2: a.y2 + dy };
          boxes[j] = { x1: b.x1 - dx, x2: b.x2 - dx, y1: b.y1 - dy, y2: b.y2 - dy };
        }
      }
      if (!moved) { return true; }
    }
    return false;
  }

  // Places blocks (lists of top-level items) in rows, the biggest first, in disjoint rectangles:
  // nothing of two blocks can overlap, and the whole is about as wide as the graph's area is.
  function pack(blocks, aspect) {
    var measured = blocks.map(function (items) {
      var all = cy.collection();
      items.forEach(function (n) { all = all.union(n); });
      return { items: items, b: box(all) };
    }).sort(function (p, q) { return q.b.w * q.b.h - p.b.w * p.b.h; });
    var area = 0, widest = 0;
    measured.forEach(function (m) { area += (m.b.w + 2 * GAP) * (m.b.h + 2 * GAP); widest = Math.max(widest, m.b.w + 2 * GAP); });
    var rowWidth = Math.max(widest, Math.sqrt(area * aspect));
    var x = 0, y = 0, rowHeight = 0;
    measured.forEach(function (m) {
      var w = m.b.w + 2 * GAP, h = m.b.h + 2 * GAP;
      if (x > 0 && x + w > rowWidth) { x = 0; y += rowHeight; rowHeight = 0; }
      var dx = x + GAP - m.b.x1, dy = y + GAP - m.b.y1;
      m.items.forEach(function (n) { moveBy(n, dx, dy); });
      x += w;
      rowHeight = Math.max(rowHeight, h);
    });
  }

  // The top-level items of each connected part of the graph (an edge to a group's member joins the group).
  function parts(items) {
    var index = {}, up = [];
    items.forEach(function (n, i) { index[n.id()] = i; up.push(i); });
    function top(n) { var a = n.ancestors(); return a.nonempty() ? a.last() : n; }
    function find(i) { while (up[i] !== i) { up[i] = up[up[i]]; i = up[i]; } return i; }
    cy.edges().forEach(function (e) {
      var a = find(index[top(e.source()).id()]), b = find(index[top(e.target()).id()]);
      if (a !== b) { up[a] = b; }
    });
    var byRoot = {};
    items.forEach(function (n, i) { var r = find(i); (byRoot[r] = byRoot[r] || []).push(n); });
    return Object.keys(byRoot).map(function (r) { return byRoot[r]; });
  }

  function anyOverlap(items) {
    var boxes = items.map(box);
    for (var i = 0; i < boxes.length; i++) {
      for (var j = i + 1; j < boxes.length; j++) {
        if (overlap(boxes[i], boxes[j])) { return true; }
      }
    }
    return false;
  }

  function layout(first) {
    cy.resize();
    var aspect = Math.max(0.5, Math.min(3, cy.width() / Math.max(1, cy.height())));
    if (cy.nodes().nonempty()) {
      cy.layout({ name: 'fcose', quality: first ? 'default' : 'proof', randomize: first, animate: false, fit: false,
        nodeDimensionsIncludeLabels: true, packComponents: false, nodeSeparation: 60, idealEdgeLength: function () { return 90; },
        nodeRepulsion: function () { return 6000; }, nestingFactor: 0.5, tile: true }).run();
      cy.nodes().filter(function (n) { return n.isParent(); }).forEach(function (g) { tile(g, aspect); });
      var items = cy.nodes().orphans().toArray();
      separate(items);
      pack(parts(items), aspect);
      if (anyOverlap(items)) {
        // Pushing could not untangle it: every item in its own rectangle.
        state.fallbacks++;
        pack(items.map(function (n) { return [n]; }), aspect);
      }
    }
    state.layouts++;
    fit();
  }

  // Every node in view, never zoomed in further than MAX_FIT_ZOOM.
  function fit() {
    cy.resize();
    cy.fit(undefined, 24);
    if (cy.zoom() > MAX_FIT_ZOOM) {
      cy.zoom(MAX_FIT_ZOOM);
      cy.center();
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
      var near = hits.union(hits.connectedNodes()).union(hits.connectedEdges());
      // A group stays lit when one of its members is (its opacity is its members').
      cy.elements().not(near).not(near.ancestors()).addClass('dim');
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

  // The full text of what the pointer is on (collapsed labels, hidden edge labels), as text.
  function hoverText(target) {
    if (target.isEdge()) { return edgeText(target.data('doc')); }
    if (target.data('kind') === 'group') {
      var kids = target.children().map(function (k) { return state.nodes[k.id()]; }).filter(Boolean);
      return target.data('text') + '\npids ' + kids.map(function (n) { return n.pids.join(' '); }).join(' ');
    }
    var n = state.nodes[target.id()];
    return n ? nodeText(n) : target.id();
  }

  cy.on('mouseover', 'node, edge', function (evt) {
    var target = evt.target;
    target.addClass('hover');
    tip.textContent = hoverText(target);
    var p = evt.renderedPosition || { x: 0, y: 0 };
    tip.style.left = Math.min(p.x + 14, Math.max(0, cy.width() - 320)) + 'px';
    tip.style.top = (p.y + 14) + 'px';
    tip.hidden = false;
  });
  cy.on('mouseout', 'node, edge', function (evt) {
    evt.target.removeClass('hover');
    tip.hidden = true;
  });
  cy.on('tap', 'node, edge', function (evt) {
    if (evt.target.data('kind') !== 'group') { show(evt.target); }
  });
  window.addEventListener('resize', function () {
    if (state.layouts > 0) { fit(); }
  });
  search.addEventListener('input', highlight);
  groupSelect.addEventListener('change', function () {
    cy.elements().remove();
    state.refreshes = 0;
    state.layouts = 0;
    state.selected = null;
    refresh();
  });

  // For the browser tests and for anyone at the console.
  window.sockpeer = { cy: cy, state: state, refresh: refresh };

  refresh();
  setInterval(refresh, REFRESH_MS);
})();
