import { login } from '../auth.js';

/** Figures of GET /monitor/stats drawn over the last HISTORY polls, one poll a second. */
const POLL_MS = 1000;
const HISTORY = 300;
const TOKEN_KEY = 'waypoint.monitor.token';

const NODE_COLORS = ['#fbbf24', '#38bdf8', '#a78bfa', '#4ade80', '#f472b6', '#fb923c', '#2dd4bf', '#e2e8f0'];
const OUTCOME_COLORS = { accepted: '#4ade80', duplicate: '#38bdf8', rate_limited: '#fbbf24', too_fast: '#fb923c', out_of_bounds: '#f472b6', invalid_position: '#a78bfa', unavailable: '#f87171' };
const EXTRA_COLORS = ['#2dd4bf', '#e2e8f0', '#facc15', '#c084fc'];

const ms = (seconds) => (seconds == null ? null : seconds * 1000);
const sum = (values) => values.reduce((a, b) => a + (b ?? 0), 0);
const sumKeys = (record) => sum(Object.values(record ?? {}));

/**
 * Each chart: `perNode` (one line per node), `byKey` (one line per key summed over the
 * nodes: outcomes, error codes) or `quantiles` (p99 solid and p50 dashed, per node).
 */
const CHARTS = [
  { id: 'players', title: 'Players online', unit: 'players', perNode: (f) => f.playersOnline, headline: sum },
  { id: 'positions', title: 'Positions/s', unit: 'per second by outcome, all nodes', byKey: (f) => f.positionsPerSecond, headline: sum },
  { id: 'ack', title: 'Ack latency', unit: 'ms, p99 (solid) and p50 (dashed)', quantiles: (f) => f.ackSeconds },
  { id: 'commit', title: 'Batch commit time', unit: 'ms, p99 (solid) and p50 (dashed)', quantiles: (f) => f.commitSeconds },
  { id: 'queue', title: 'Queue depth', unit: 'movements waiting or in flight', perNode: (f) => f.queueDepth, headline: sum },
  { id: 'broadcast', title: 'Broadcast delay', unit: 'ms commit → players:moved, p99 and p50', quantiles: (f) => f.broadcastDelaySeconds },
  { id: 'slow', title: 'Slow clients', unit: 'left out of broadcasts', perNode: (f) => f.slowClients, headline: sum },
  { id: 'rejections', title: 'Rejections/s', unit: 'per second by code, all nodes', byKey: (f) => f.rejectionsPerSecond, headline: sum },
];

const $ = (id) => document.getElementById(id);
const state = { token: sessionStorage.getItem(TOKEN_KEY), timer: null, times: [], charts: new Map(), nodeColors: new Map(), polls: 0, latest: null };
/** For tests and the curious: the latest answer and how many polls the page has drawn. */
window.__monitor = state;

function nodeColor(id) {
  if (!state.nodeColors.has(id)) state.nodeColors.set(id, NODE_COLORS[state.nodeColors.size % NODE_COLORS.length]);
  return state.nodeColors.get(id);
}

function keyColor(key, index) {
  return OUTCOME_COLORS[key] ?? EXTRA_COLORS[index % EXTRA_COLORS.length];
}

function formatNumber(value, digits = 0) {
  if (value == null || Number.isNaN(value)) return '–';
  return value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function formatMs(seconds) {
  if (seconds == null) return '–';
  const value = seconds * 1000;
  return value < 10 ? `${value.toFixed(2)} ms` : `${value.toFixed(0)} ms`;
}

// ---- login ----

function showLogin(message = '') {
  stopPolling();
  $('dashboard').hidden = true;
  $('logout-button').hidden = true;
  $('login-form').hidden = false;
  $('login-message').innerHTML = message;
  $('status').textContent = '';
  $('username').focus();
}

function needsAnalyst(username) {
  const who = username ? `<code>${escapeHtml(username)}</code>` : 'This account';
  return `${who} is a player: the monitor needs the analyst role. An operator grants it with <code>npm run cli -- grant-role ${escapeHtml(username || '<username>')} analyst</code>.`;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const username = $('username').value.trim();
  $('login-message').textContent = '';
  $('login-button').disabled = true;
  try {
    const session = await login(username, $('password').value);
    if (session.player.role !== 'analyst') {
      $('login-message').innerHTML = needsAnalyst(session.player.username);
      return;
    }
    state.token = session.accessToken;
    sessionStorage.setItem(TOKEN_KEY, state.token);
    $('password').value = '';
    showDashboard();
  } catch (error) {
    $('login-message').textContent = error.message;
  } finally {
    $('login-button').disabled = false;
  }
});

$('logout-button').addEventListener('click', () => {
  state.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  showLogin();
});

// ---- polling ----

function showDashboard() {
  $('login-form').hidden = true;
  $('dashboard').hidden = false;
  $('logout-button').hidden = false;
  $('status').textContent = 'connecting…';
  poll();
}

function stopPolling() {
  clearTimeout(state.timer);
  state.timer = null;
}

async function poll() {
  stopPolling();
  const started = performance.now();
  try {
    const response = await fetch('/monitor/stats', { headers: { authorization: `Bearer ${state.token}` }, cache: 'no-store' });
    if (response.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      return showLogin('Your session has ended; log in again.');
    }
    if (response.status === 403) {
      sessionStorage.removeItem(TOKEN_KEY);
      return showLogin(needsAnalyst($('username').value.trim()));
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error(body?.message ?? `the server answered ${response.status}`);
    draw(body);
    $('status').textContent = `live · ${body.nodes.length} node${body.nodes.length === 1 ? '' : 's'} · updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    $('status').textContent = `not updating: ${error.message === 'Failed to fetch' ? 'cannot reach the server' : error.message}; retrying`;
  }
  if (state.token) state.timer = setTimeout(poll, Math.max(0, POLL_MS - (performance.now() - started)));
}

// ---- drawing ----

function draw(stats) {
  state.latest = stats;
  state.polls += 1;
  const windowed = stats.nodes.filter((f) => f.windowSeconds !== null);
  state.times.push(Date.now() / 1000);
  const trim = state.times.length > HISTORY;
  if (trim) state.times.shift();
  for (const chart of CHARTS) drawChart(chart, stats.nodes, windowed, trim);
  drawNodes(stats);
}

/** The lines of a chart at this poll, by series key. */
function linesOf(chart, nodes) {
  const lines = new Map();
  if (chart.perNode) {
    for (const f of nodes) lines.set(f.node.id, { label: f.node.id, color: nodeColor(f.node.id), value: chart.perNode(f) });
  } else if (chart.byKey) {
    const keys = new Set(nodes.flatMap((f) => Object.keys(chart.byKey(f) ?? {})));
    [...keys].sort().forEach((key, index) => {
      lines.set(key, { label: key, color: keyColor(key, index), value: sum(nodes.map((f) => chart.byKey(f)?.[key])) });
    });
  } else {
    for (const f of nodes) {
      const q = chart.quantiles(f);
      const color = nodeColor(f.node.id);
      lines.set(`${f.node.id} p99`, { label: `${f.node.id} p99`, color, value: ms(q.p99) });
      lines.set(`${f.node.id} p50`, { label: `${f.node.id} p50`, color, dash: [4, 4], value: ms(q.p50) });
    }
  }
  return lines;
}

function drawChart(chart, nodes, windowed, trim) {
  let view = state.charts.get(chart.id);
  if (!view) {
    view = makeCard(chart);
    state.charts.set(chart.id, view);
  }
  // Rates and quantiles come from nodes with a window; gauges from every node.
  const lines = linesOf(chart, chart.perNode ? nodes : windowed);
  const length = state.times.length;
  for (const [key, line] of lines) {
    if (!view.series.has(key)) view.series.set(key, { ...line, values: new Array(Math.max(0, length - 1 + (trim ? 1 : 0))).fill(null) });
  }
  for (const [key, series] of view.series) {
    series.values.push(lines.has(key) ? lines.get(key).value : null);
    if (trim) series.values.shift();
  }
  view.value.textContent = headline(chart, lines);
  const keys = [...view.series.keys()].join('|');
  const data = [state.times, ...[...view.series.values()].map((s) => s.values)];
  if (!view.plot || view.keys !== keys) {
    view.plot?.destroy();
    view.keys = keys;
    view.plot = new uPlot(plotOptions(view), data, view.el.querySelector('.plot'));
  } else {
    view.plot.setData(data);
  }
}

function headline(chart, lines) {
  const values = [...lines.values()].map((l) => l.value);
  if (chart.quantiles) {
    const p99 = [...lines].filter(([key]) => key.endsWith(' p99')).map(([, l]) => l.value).filter((v) => v != null);
    return p99.length ? `p99 ${formatMs(Math.max(...p99) / 1000)}` : '–';
  }
  return formatNumber(chart.headline(values), chart.byKey ? 1 : 0);
}

function makeCard(chart) {
  const el = document.createElement('section');
  el.className = 'chart panel';
  el.id = `chart-${chart.id}`;
  el.innerHTML = `<div class="figure"><h2>${chart.title}</h2><span class="value">–</span></div><div class="unit">${chart.unit}</div><div class="plot"></div>`;
  $('charts').append(el);
  return { el, value: el.querySelector('.value'), series: new Map(), plot: null, keys: '' };
}

function plotOptions(view) {
  const width = Math.max(280, view.el.clientWidth - 32);
  return {
    width,
    height: 160,
    cursor: { drag: { x: false, y: false } },
    legend: { show: true, live: false },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
    axes: [
      { stroke: '#94a3b8', grid: { stroke: '#243243' }, ticks: { stroke: '#243243' } },
      { stroke: '#94a3b8', grid: { stroke: '#243243' }, ticks: { stroke: '#243243' }, size: 50 },
    ],
    series: [{}, ...[...view.series.values()].map((s) => ({ label: s.label, stroke: s.color, width: 2, dash: s.dash, spanGaps: false, points: { show: false } }))],
  };
}

function drawNodes(stats) {
  const rows = stats.nodes.map((f) => {
    const refused = sumKeys(Object.fromEntries(Object.entries(f.positionsTotal).filter(([k]) => k !== 'accepted' && k !== 'duplicate')));
    return `<tr data-node="${escapeHtml(f.node.id)}">
      <td><span class="swatch" style="background:${nodeColor(f.node.id)}"></span>${escapeHtml(f.node.id)}</td>
      <td>${f.node.pid}</td>
      <td>${new Date(f.node.startedAt).toLocaleString()}</td>
      <td>${formatNumber(f.playersOnline)}</td>
      <td class="positions">${formatNumber(sumKeys(f.positionsPerSecond), 1)}</td>
      <td>${formatMs(f.ackSeconds.p50)} / ${formatMs(f.ackSeconds.p99)}</td>
      <td>${formatMs(f.commitSeconds.p99)}</td>
      <td>${formatNumber(f.queueDepth)}</td>
      <td>${formatMs(f.broadcastDelaySeconds.p99)}</td>
      <td>${formatNumber(f.slowClients)}</td>
      <td>${formatNumber(refused)}</td>
    </tr>`;
  });
  $('nodes').querySelector('tbody').innerHTML = rows.join('');
  $('missing').textContent = stats.missing ?? '';
}

window.addEventListener('resize', () => {
  for (const view of state.charts.values()) view.plot?.setSize({ width: Math.max(280, view.el.clientWidth - 32), height: 160 });
});

if (state.token) showDashboard();
else showLogin();
