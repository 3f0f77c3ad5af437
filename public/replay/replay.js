import { login } from '/auth.js';
import { ApiError, createApi } from './api.js';
import { createCamera, createPainter, fitCamera, toScreen, toWorld } from './draw.js';
import { openLive } from './live.js';
import { addPoint, createTracks, indexAt, nextEventTime, positionsAt } from './tracks.js';
import { readHash, SPEEDS, writeHash } from './view-hash.js';

const PRESETS = { '5m': 5 * 60_000, '1h': 60 * 60_000 };
const TRAIL_MS = 10_000;
const HASH_INTERVAL_MS = 500;
const ZOOM = { min: 0.00005, max: 50, step: 1.25 };
// Cells a heatmap is cut into along the longer side of the data; the server caps the total.
const HEAT_CELLS_ACROSS = 80;
const TOKEN_KEY = 'waypoint.replay.session';

const $ = (id) => document.getElementById(id);
const canvas = $('replay-canvas');
const painter = createPainter(canvas);
const camera = createCamera();

/** Everything the page shows; the hash mirrors the part a link must reopen. */
const state = {
  session: null, // {accessToken, player}
  api: null,
  directory: new Map(), // id → username, from GET /players
  mode: 'history',
  from: 0,
  to: 0,
  t: 0,
  speed: 1,
  playing: false,
  players: [], // chosen ids; empty = all
  follow: null,
  history: createTracks(),
  liveTracks: createTracks(),
  live: null,
  heatmap: null,
  loading: null, // AbortController of the load in progress
  loaded: false,
  cameraSet: false,
  drawn: [],
  drawnAt: 0,
  frames: 0,
  frameMs: 0,
};

// ---------------------------------------------------------------- login and role

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const button = $('login-button');
  button.disabled = true;
  showFormMessage('');
  try {
    const session = await login(form.elements.username.value.trim(), form.elements.password.value);
    form.elements.password.value = '';
    if (session.player.role !== 'analyst') {
      showFormMessage(needsAnalyst(session.player.username), 'error');
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, JSON.stringify(session));
    start(session);
  } catch (error) {
    showFormMessage(error.message, 'error');
  } finally {
    button.disabled = false;
  }
});

const needsAnalyst = (username) =>
  `${username} is a player: the replay viewer is for analysts. Ask an operator to grant the role with: npm run cli -- grant-role ${username} analyst`;

function showFormMessage(text, kind = 'info') {
  const message = $('form-message');
  message.textContent = text;
  message.className = `form-message ${kind}`;
  message.hidden = text === '';
}

function showLogin(message = '') {
  stopLive();
  state.loading?.abort();
  state.playing = false;
  state.session = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $('viewer').hidden = true;
  $('login-view').hidden = false;
  showFormMessage(message, 'error');
}

$('logout').addEventListener('click', () => showLogin());
$('notice-login').addEventListener('click', () => showLogin());

function showNotice(text) {
  $('notice-text').textContent = text;
  $('notice').hidden = false;
}

/** An API failure: a lost login or role ends the session; anything else is shown and can be retried. */
function failed(error) {
  if (error instanceof ApiError && error.status === 401) showLogin('your session has expired; log in again');
  else if (error instanceof ApiError && error.status === 403) showNotice(needsAnalyst(state.session.player.username));
  else setStatus(error.message, 'error');
}

function setStatus(text, kind = 'info') {
  const status = $('status');
  status.textContent = text;
  status.className = `status ${kind}`;
}

async function start(session) {
  state.session = session;
  state.api = createApi(session.accessToken);
  $('who').textContent = session.player.username;
  $('login-view').hidden = true;
  $('viewer').hidden = false;
  $('notice').hidden = true;
  try {
    await loadDirectory();
  } catch (error) {
    failed(error);
    return;
  }
  applyHash(readHash());
}

async function loadDirectory() {
  const players = await state.api.players();
  state.directory = new Map(players.map((p) => [p.id, p.username]));
  renderChips();
}

// ---------------------------------------------------------------- the view and the URL

function applyHash(view) {
  state.speed = view.speed;
  $('speed').value = String(view.speed);
  state.players = view.players;
  state.follow = view.follow;
  renderChips();
  if (view.live) {
    startLive();
    return;
  }
  const now = Date.now();
  if (view.from !== null && view.to !== null && view.from < view.to) {
    setRangeInputs(view.from, view.to, 'custom');
    loadRange(view.from, view.to, view.t);
  } else {
    setRangeInputs(now - PRESETS['5m'], now, '5m');
    loadRange(now - PRESETS['5m'], now, null);
  }
}

let hashWritten = 0;
function syncHash(force = false) {
  const now = performance.now();
  if (!force && now - hashWritten < HASH_INTERVAL_MS) return;
  hashWritten = now;
  writeHash({ live: state.mode === 'live', from: state.from, to: state.to, t: state.t, speed: state.speed, players: state.players, follow: state.follow });
}

window.addEventListener('hashchange', () => {
  if (state.session) applyHash(readHash());
});

// ---------------------------------------------------------------- range and players

const toLocalInput = (ms) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
};

function setRangeInputs(from, to, preset) {
  $('preset').value = preset;
  $('custom-range').hidden = preset !== 'custom';
  $('from').value = toLocalInput(from);
  $('to').value = toLocalInput(to);
}

$('preset').addEventListener('change', () => {
  const preset = $('preset').value;
  $('custom-range').hidden = preset !== 'custom';
  if (preset !== 'custom') {
    const now = Date.now();
    setRangeInputs(now - PRESETS[preset], now, preset);
  }
});

$('range-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const preset = $('preset').value;
  let from;
  let to;
  if (preset === 'custom') {
    from = new Date($('from').value).getTime();
    to = new Date($('to').value).getTime();
    if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) {
      setStatus('pick a start before the end of the range', 'error');
      return;
    }
  } else {
    to = Date.now();
    from = to - PRESETS[preset];
    setRangeInputs(from, to, preset);
  }
  loadRange(from, to, null);
});

$('player-search').addEventListener('input', renderSuggestions);
$('player-search').addEventListener('keydown', (event) => {
  if (event.key === 'Escape') $('suggestions').hidden = true;
});

function renderSuggestions() {
  const box = $('suggestions');
  const wanted = $('player-search').value.trim().toLowerCase();
  box.replaceChildren();
  if (!wanted) {
    box.hidden = true;
    return;
  }
  const matches = [...state.directory].filter(([id, name]) => name.toLowerCase().includes(wanted) && !state.players.includes(id)).slice(0, 8);
  for (const [id, name] of matches) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = name;
    button.dataset.id = id;
    button.addEventListener('click', () => {
      state.players = [...state.players, id];
      $('player-search').value = '';
      box.hidden = true;
      renderChips();
    });
    box.append(button);
  }
  box.hidden = matches.length === 0;
}

function renderChips() {
  const chips = $('chips');
  chips.replaceChildren();
  if (state.players.length === 0) {
    const all = document.createElement('span');
    all.className = 'chip all';
    all.textContent = 'all';
    chips.append(all);
  }
  for (const id of state.players) {
    const chip = document.createElement('button');
    chip.type = 'button';
    chip.className = 'chip';
    chip.textContent = `${state.directory.get(id) ?? id.slice(0, 8)} ×`;
    chip.title = 'Remove';
    chip.addEventListener('click', () => {
      state.players = state.players.filter((p) => p !== id);
      renderChips();
    });
    chips.append(chip);
  }
}

// ---------------------------------------------------------------- loading history

/** Reads [from, to) page by page into fresh tracks, seeded with where everyone stood at `from`. */
async function loadRange(from, to, t) {
  state.loading?.abort();
  const loading = new AbortController();
  state.loading = loading;
  stopLive();
  setMode('history');
  state.from = from;
  state.to = to;
  state.t = t !== null && t >= from && t <= to ? t : from;
  state.playing = false;
  state.loaded = false;
  state.heatmap = null;
  state.history = createTracks();
  state.cameraSet = false;
  const tracks = state.history;
  const chosen = state.players.length > 0 ? new Set(state.players) : null;
  const players = state.players.length > 0 ? state.players.join(',') : undefined;
  const fromIso = new Date(from).toISOString();
  const toIso = new Date(to).toISOString();
  showProgress(0, 'loading…');
  syncHash(true);
  try {
    const snapshot = await state.api.snapshot(fromIso);
    if (loading.signal.aborted) return;
    for (const p of snapshot.players) {
      if (chosen && !chosen.has(p.id)) continue;
      addPoint(tracks, p.id, Date.parse(p.position.at), p.position.x, p.position.y, p.position.heading, p.username);
    }
    let read = 0;
    await state.api.movements({ from: fromIso, to: toIso, players, signal: loading.signal }, (items) => {
      for (const m of items) addPoint(tracks, m.playerId, Date.parse(m.at), m.x, m.y, m.heading, state.directory.get(m.playerId));
      read += items.length;
      const last = items.length > 0 ? Date.parse(items[items.length - 1].at) : to;
      showProgress((last - from) / (to - from), `loading ${read.toLocaleString('en')} movements…`);
    });
    if (loading.signal.aborted) return;
    state.loaded = true;
    state.loading = null;
    // Framed on the whole range, not on the first page that happened to be drawn.
    state.cameraSet = false;
    hideProgress();
    setStatus(`${read.toLocaleString('en')} movements of ${tracks.byId.size.toLocaleString('en')} players`, 'info');
    renderFollowOptions();
    if ($('heatmap').checked) loadHeatmap();
  } catch (error) {
    if (loading.signal.aborted) return;
    state.loading = null;
    hideProgress();
    failed(error);
  }
}

function showProgress(fraction, text) {
  $('progress-box').hidden = false;
  $('progress').value = Math.max(0, Math.min(1, fraction));
  $('progress-text').textContent = text;
}

function hideProgress() {
  $('progress-box').hidden = true;
}

function boundsOf(tracks) {
  let box = null;
  for (const track of tracks.byId.values()) {
    for (let i = 0; i < track.x.length; i += 1) {
      const x = track.x[i];
      const y = track.y[i];
      if (!box) box = { minX: x, maxX: x, minY: y, maxY: y };
      else {
        if (x < box.minX) box.minX = x;
        if (x > box.maxX) box.maxX = x;
        if (y < box.minY) box.minY = y;
        if (y > box.maxY) box.maxY = y;
      }
    }
  }
  return box;
}

/** 1, 2 or 5 × 10^k, at least `wanted`. */
const niceStep = (wanted) => {
  const power = 10 ** Math.floor(Math.log10(wanted));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= wanted);
};

$('heatmap').addEventListener('change', () => {
  if ($('heatmap').checked && state.loaded && !state.heatmap) loadHeatmap();
});

/** The range's heatmap, at a cell size from the data's extent; coarser while the server says there are too many cells. */
async function loadHeatmap() {
  const box = boundsOf(state.history) ?? { minX: 0, maxX: 100, minY: 0, maxY: 100 };
  let cell = niceStep(Math.max(box.maxX - box.minX, box.maxY - box.minY, 1) / HEAT_CELLS_ACROSS);
  const range = [state.from, state.to];
  const players = state.players.length > 0 ? state.players.join(',') : undefined;
  for (let attempt = 0; attempt < 4; attempt += 1) {
    try {
      const heatmap = await state.api.heatmap(new Date(range[0]).toISOString(), new Date(range[1]).toISOString(), cell, players);
      if (state.from === range[0] && state.to === range[1]) state.heatmap = heatmap;
      return;
    } catch (error) {
      if (error instanceof ApiError && error.status === 400 && /cell/i.test(error.message)) {
        cell = niceStep(cell * 4);
        continue;
      }
      failed(error);
      return;
    }
  }
}

function renderFollowOptions() {
  const select = $('follow');
  const tracks = currentTracks();
  const options = [...tracks.byId.values()].sort((a, b) => (a.username < b.username ? -1 : 1));
  select.replaceChildren(new Option('nobody', ''), ...options.map((t) => new Option(t.username, t.id)));
  select.value = state.follow && tracks.byId.has(state.follow) ? state.follow : '';
}

$('follow').addEventListener('change', () => {
  state.follow = $('follow').value || null;
  syncHash(true);
});

// ---------------------------------------------------------------- live mode

$('mode-live').addEventListener('click', () => startLive());
$('mode-history').addEventListener('click', () => {
  if (state.mode === 'history') return;
  stopLive();
  const to = Date.now();
  const from = to - PRESETS['5m'];
  setRangeInputs(from, to, '5m');
  loadRange(from, to, to);
});

function startLive() {
  if (state.mode === 'live' && state.live) return;
  state.loading?.abort();
  state.loading = null;
  hideProgress();
  stopLive();
  state.liveTracks = createTracks();
  state.heatmap = null;
  state.playing = true;
  setMode('live');
  state.live = openLive(state.session.accessToken, state.liveTracks, {
    status: setStatus,
    ended: (reason) => {
      state.live = null;
      if (reason === 'unauthorized') showLogin('your session has expired; log in again');
      else if (reason === 'replaced') setStatus('live stopped: this account connected elsewhere (a game or another viewer)', 'error');
      else setStatus('live stopped: the server closed the connection; press Live to reconnect', 'error');
    },
  });
  setStatus('connecting…', 'info');
  syncHash(true);
}

function stopLive() {
  state.live?.close();
  state.live = null;
}

function setMode(mode) {
  state.mode = mode;
  $('mode-history').setAttribute('aria-pressed', String(mode === 'history'));
  $('mode-live').setAttribute('aria-pressed', String(mode === 'live'));
  for (const id of ['play', 'step-back', 'step-forward', 'scrubber', 'speed']) $(id).disabled = mode === 'live';
}

const currentTracks = () => (state.mode === 'live' ? state.liveTracks : state.history);

// ---------------------------------------------------------------- playback

$('play').addEventListener('click', togglePlay);
$('step-back').addEventListener('click', () => step(-1));
$('step-forward').addEventListener('click', () => step(1));
$('speed').addEventListener('change', () => {
  state.speed = SPEEDS.includes(Number($('speed').value)) ? Number($('speed').value) : 1;
  syncHash(true);
});
// While a finger or the mouse holds the scrubber, the frame loop leaves its value alone.
let scrubbing = false;
$('scrubber').addEventListener('pointerdown', () => (scrubbing = true));
window.addEventListener('pointerup', () => (scrubbing = false));
$('scrubber').addEventListener('input', () => {
  state.t = state.from + Number($('scrubber').value);
  syncHash(true);
});
window.addEventListener('keydown', (event) => {
  if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement || $('viewer').hidden) return;
  if (event.key === ' ') {
    event.preventDefault();
    togglePlay();
  } else if (event.key === ',') step(-1);
  else if (event.key === '.') step(1);
});

function togglePlay() {
  if (state.mode !== 'history') return;
  if (!state.playing && state.t >= state.to) state.t = state.from;
  state.playing = !state.playing;
  syncHash(true);
}

/** To the next or previous instant at which any player shown moved. */
function step(direction) {
  if (state.mode !== 'history') return;
  state.playing = false;
  const next = nextEventTime(state.history, state.t, direction);
  if (next !== null) state.t = Math.max(state.from, Math.min(state.to, next));
  syncHash(true);
}

// ---------------------------------------------------------------- zoom, pan, follow by click

function zoomAt(factor, sx = camera.width / 2, sy = camera.height / 2) {
  const before = toWorld(camera, sx, sy);
  camera.zoom = Math.max(ZOOM.min, Math.min(ZOOM.max, camera.zoom * factor));
  const after = toWorld(camera, sx, sy);
  camera.x += before.x - after.x;
  camera.y += before.y - after.y;
  state.cameraSet = true;
}

$('zoom-in').addEventListener('click', () => zoomAt(ZOOM.step ** 2));
$('zoom-out').addEventListener('click', () => zoomAt(1 / ZOOM.step ** 2));
$('zoom-fit').addEventListener('click', () => {
  state.cameraSet = false;
});
canvas.addEventListener(
  'wheel',
  (event) => {
    event.preventDefault();
    const rect = canvas.getBoundingClientRect();
    zoomAt(event.deltaY < 0 ? ZOOM.step : 1 / ZOOM.step, event.clientX - rect.left, event.clientY - rect.top);
  },
  { passive: false },
);

// Drag pans (and stops following); two fingers pinch; a tap without moving follows the player under it.
const pointers = new Map();
let dragged = false;
canvas.addEventListener('pointerdown', (event) => {
  canvas.setPointerCapture(event.pointerId);
  pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
  dragged = false;
});
canvas.addEventListener('pointermove', (event) => {
  const previous = pointers.get(event.pointerId);
  if (!previous) return;
  if (pointers.size === 2) {
    const [a, b] = [...pointers.values()];
    const before = Math.hypot(a.x - b.x, a.y - b.y);
    previous.x = event.clientX;
    previous.y = event.clientY;
    const after = Math.hypot(a.x - b.x, a.y - b.y);
    const rect = canvas.getBoundingClientRect();
    if (before > 0) zoomAt(after / before, (a.x + b.x) / 2 - rect.left, (a.y + b.y) / 2 - rect.top);
    dragged = true;
    return;
  }
  const dx = event.clientX - previous.x;
  const dy = event.clientY - previous.y;
  if (!dragged && Math.hypot(dx, dy) < 4) return;
  dragged = true;
  camera.x -= dx / camera.zoom;
  camera.y += dy / camera.zoom;
  previous.x = event.clientX;
  previous.y = event.clientY;
  state.cameraSet = true;
  if (state.follow) {
    state.follow = null;
    $('follow').value = '';
    syncHash(true);
  }
});
const release = (event) => {
  if (!pointers.delete(event.pointerId)) return;
  if (dragged || event.type === 'pointercancel') return;
  const rect = canvas.getBoundingClientRect();
  const sx = event.clientX - rect.left;
  const sy = event.clientY - rect.top;
  let best = null;
  for (const p of state.drawn) {
    const d = Math.hypot(p.sx - sx, p.sy - sy);
    if (p.visible && d <= 14 && (!best || d < best.d)) best = { id: p.id, d };
  }
  if (best) {
    state.follow = best.id;
    renderFollowOptions();
    syncHash(true);
  }
};
canvas.addEventListener('pointerup', release);
canvas.addEventListener('pointercancel', release);

// ---------------------------------------------------------------- the frame loop

const formatClock = (ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');

let lastFrame = performance.now();
let followOptionsAt = 0;
function frame(now) {
  const elapsed = Math.min(now - lastFrame, 250);
  lastFrame = now;
  if (!$('viewer').hidden) {
    if (state.mode === 'live') {
      if (state.live) state.t = state.live.now();
      if (now - followOptionsAt > 1000) {
        followOptionsAt = now;
        if (state.liveTracks.byId.size !== $('follow').options.length - 1) renderFollowOptions();
      }
    } else if (state.playing) {
      state.t = Math.min(state.to, state.t + elapsed * state.speed);
      if (state.t >= state.to) state.playing = false;
      syncHash();
    }
    const tracks = currentTracks();
    if (!state.cameraSet && tracks.count > 0 && camera.width > 0) {
      fitCamera(camera, boundsOf(tracks));
      state.cameraSet = true;
    }
    const followed = state.follow ? tracks.byId.get(state.follow) : undefined;
    const at = followed ? indexAt(followed, state.t) : -1;
    if (at >= 0) {
      camera.x = followed.x[at];
      camera.y = followed.y[at];
    }
    const started = performance.now();
    state.drawn = painter.draw(camera, tracks, state.t, {
      trailMs: $('trails').checked ? TRAIL_MS : 0,
      heatmap: $('heatmap').checked && state.mode === 'history' ? state.heatmap : null,
      follow: state.follow,
      players: state.mode === 'live' && state.players.length > 0 ? new Set(state.players) : null,
    });
    state.drawnAt = state.t;
    state.frames += 1;
    state.frameMs = state.frameMs * 0.9 + (performance.now() - started) * 0.1;
    renderTimeline();
  }
  requestAnimationFrame(frame);
}

function renderTimeline() {
  const label = state.playing && state.mode === 'history' ? 'Pause' : 'Play';
  if ($('play').textContent !== label) $('play').textContent = label;
  const scrubber = $('scrubber');
  if (state.mode === 'history' && state.to > state.from && !scrubbing) {
    // One step per millisecond, so a scrubbed instant is exact.
    const max = String(state.to - state.from);
    if (scrubber.max !== max) scrubber.max = max;
    scrubber.value = String(Math.round(state.t - state.from));
  }
  const clock = state.mode === 'live' ? `live · ${formatClock(state.t)}` : `${formatClock(state.t)} · ${state.speed}×`;
  if ($('clock').textContent !== clock) $('clock').textContent = clock;
}

requestAnimationFrame(frame);

// ---------------------------------------------------------------- test hook and start

/**
 * For tests and the curious: what the canvas shows. `drawn` is the last frame, at
 * `drawnAt` (ms since the epoch); `positionsAt(t)` is where the players are at t in world
 * and screen coordinates of the current camera.
 */
window.__replay = {
  get state() {
    const { mode, from, to, t, speed, playing, players, follow, loaded } = state;
    return { mode, from, to, t, speed, playing, players, follow, loaded, live: state.live?.connected ?? false, heatmapCells: state.heatmap?.cells.length ?? null };
  },
  get drawn() {
    return state.drawn;
  },
  get drawnAt() {
    return state.drawnAt;
  },
  get frames() {
    return state.frames;
  },
  get frameMs() {
    return state.frameMs;
  },
  get heatmap() {
    return state.heatmap;
  },
  /** Screen coordinates (CSS pixels of the canvas) of a world point, by the current camera. */
  toScreen(x, y) {
    return toScreen(camera, x, y);
  },
  positionsAt(t) {
    return positionsAt(currentTracks(), t).map((p) => ({ ...p, ...screenOf(p) }));
  },
};

function screenOf(p) {
  const s = toScreen(camera, p.x, p.y);
  return { sx: s.x, sy: s.y };
}

const saved = JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? 'null');
if (saved?.accessToken) start(saved);
