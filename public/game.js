import { login, register } from './auth.js';
import { advance, createKeyboard, createPointer } from './controls.js';
import { createRenderer, formatDistance } from './render.js';
import { openSession } from './session.js';
import { createWorld } from './world.js';

// 20 Hz: smooth enough for the others to watch, a third of the server's 60/s rate limit.
const SEND_INTERVAL_MS = 50;
const ERROR_SHOWN_MS = 5000;
const ROSTER_INTERVAL_MS = 250;
const KEEP_SESSION_INTERVAL_MS = 1000;
const ZOOM = { min: 0.005, max: 8, start: 1 };

const $ = (id) => document.getElementById(id);
const form = $('login-form');

/** The running game, or null while the login form is shown. */
let game = null;

/**
 * The login and the client session are kept for the tab (sessionStorage), so a reload goes
 * straight back into the game, in the same client session: moves the server recorded are
 * not sent again, and those it had not are.
 */
const LOGIN_KEY = 'waypoint.login';
const SESSION_KEY = 'waypoint.session';
// A token this close to expiring is not worth connecting with.
const TOKEN_MARGIN_MS = 10_000;

const readStored = (key) => {
  try {
    return JSON.parse(sessionStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
};
const forgetStored = () => {
  sessionStorage.removeItem(LOGIN_KEY);
  sessionStorage.removeItem(SESSION_KEY);
};
function keepSession() {
  if (game?.playerId) sessionStorage.setItem(SESSION_KEY, JSON.stringify({ playerId: game.playerId, ...game.session.snapshot() }));
}

form.addEventListener('submit', onSubmit);
$('logout').addEventListener('click', () => showLogin());
$('banner-login').addEventListener('click', () => showLogin());
$('world').addEventListener('wheel', onWheel, { passive: false });
window.addEventListener('pagehide', keepSession);

const kept = readStored(LOGIN_KEY);
if (kept && kept.expiresAt > Date.now() + TOKEN_MARGIN_MS) startGame(kept.token, kept.playerId);
else forgetStored();

async function onSubmit(event) {
  event.preventDefault();
  const action = event.submitter?.value ?? 'login';
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  setFormBusy(true);
  showFormMessage('');
  try {
    if (action === 'register') await register(username, password);
    const session = await login(username, password);
    form.elements.password.value = '';
    sessionStorage.setItem(LOGIN_KEY, JSON.stringify({ token: session.accessToken, playerId: session.player.id, expiresAt: Date.now() + session.expiresIn * 1000 }));
    startGame(session.accessToken, session.player.id);
  } catch (error) {
    showFormMessage(error.message, 'error');
  } finally {
    setFormBusy(false);
  }
}

function setFormBusy(busy) {
  for (const button of form.querySelectorAll('button')) button.disabled = busy;
}

function showFormMessage(text, kind = 'info') {
  const message = $('form-message');
  message.textContent = text;
  message.className = `form-message ${kind}`;
  message.hidden = text === '';
}

function showLogin(message = '') {
  stopGame();
  forgetStored();
  $('game-view').hidden = true;
  $('login-view').hidden = false;
  showFormMessage(message, 'error');
  form.elements.username.focus();
}

function startGame(token, playerId) {
  stopGame();
  $('login-view').hidden = true;
  $('game-view').hidden = false;
  $('banner').hidden = true;
  const world = createWorld();
  const keyboard = createKeyboard();
  const pointer = createPointer($('world'));
  const renderer = createRenderer($('world'));
  const stored = readStored(SESSION_KEY);
  const session = openSession(token, world, { status: setStatus, ended: onEnded }, stored?.playerId === playerId ? stored : null);
  game = { world, keyboard, pointer, session, playerId, zoom: ZOOM.start, status: { base: 'connecting…', shown: 'connecting…' }, timers: [] };
  setStatus('connecting…', 'info');
  game.timers.push(setInterval(() => session.sendIfMoved(), SEND_INTERVAL_MS));
  game.timers.push(setInterval(() => renderRoster(world), ROSTER_INTERVAL_MS));
  // Besides at pagehide: a tab that is killed gets no pagehide.
  game.timers.push(setInterval(keepSession, KEEP_SESSION_INTERVAL_MS));

  let lastFrame = performance.now();
  const frame = (now) => {
    // Capped so a tab that slept for a while does not jump the player across the map.
    const seconds = Math.min((now - lastFrame) / 1000, 0.25);
    lastFrame = now;
    const direction = keyboard.direction() ?? pointer.direction();
    if (direction && session.canMove()) world.position = advance(world.position, direction, seconds, world.bounds);
    const poses = session.poses();
    game.drawn = poses;
    renderer.draw(world, game.zoom, poses);
    renderHud(world);
    game.frame = requestAnimationFrame(frame);
  };
  game.frame = requestAnimationFrame(frame);
}

function stopGame() {
  if (!game) return;
  cancelAnimationFrame(game.frame);
  for (const timer of game.timers) clearInterval(timer);
  clearTimeout(game.errorTimer);
  game.keyboard.detach();
  game.pointer.detach();
  game.session.close();
  game = null;
}

/** The session cannot go on; `replaced` keeps the last picture on screen under a banner. */
function onEnded(reason) {
  if (reason === 'unauthorized') {
    showLogin('Your sign-in is no longer valid (unauthorized). Please log in again.');
    return;
  }
  const text = 'Signed in elsewhere';
  setStatus('signed in elsewhere', 'warning');
  game.keyboard.detach();
  game.pointer.detach();
  cancelAnimationFrame(game.frame);
  $('banner-text').textContent = text;
  $('banner').hidden = false;
}

/** Connection states stay until the next one; a rejected move shows for a few seconds. */
function setStatus(text, kind) {
  if (!game) return;
  clearTimeout(game.errorTimer);
  if (kind === 'error') {
    game.errorTimer = setTimeout(() => showStatus(game?.status.base, 'info'), ERROR_SHOWN_MS);
  } else {
    game.status.base = text;
  }
  showStatus(text, kind);
}

function showStatus(text, kind) {
  if (!game) return;
  game.status.shown = text;
  const status = $('status');
  status.textContent = text;
  status.className = `status ${kind}`;
}

function renderHud(world) {
  const { x, y, heading } = world.position;
  const degrees = Math.round(((heading * 180) / Math.PI + 360) % 360);
  setText('who', world.self ? world.self.username : '');
  setText('coords', `x ${x.toFixed(1)}  y ${y.toFixed(1)}  heading ${degrees}°`);
  setText('online', `${world.players.size + (world.self ? 1 : 0)} online`);
}

function setText(id, text) {
  const element = $(id);
  if (element.textContent !== text) element.textContent = text;
}

function renderRoster(world) {
  const here = world.position;
  const rows = [...world.players.values()]
    .map((p) => ({ name: p.username, distance: Math.hypot(p.x - here.x, p.y - here.y) }))
    .sort((a, b) => a.distance - b.distance)
    .map(({ name, distance }) => {
      const item = document.createElement('li');
      item.append(Object.assign(document.createElement('span'), { textContent: name }));
      item.append(Object.assign(document.createElement('span'), { className: 'distance', textContent: formatDistance(distance) }));
      return item;
    });
  if (rows.length === 0) rows.push(Object.assign(document.createElement('li'), { className: 'empty', textContent: 'nobody else yet' }));
  $('roster-list').replaceChildren(...rows);
}

function onWheel(event) {
  if (!game) return;
  event.preventDefault();
  game.zoom = Math.min(ZOOM.max, Math.max(ZOOM.min, game.zoom * Math.exp(-event.deltaY * 0.001)));
}

/** Read-only view for tests and the console; every read is a copy. */
window.waypoint = Object.freeze({
  get self() {
    return game?.world.self ? { ...game.world.self } : null;
  },
  get position() {
    return game ? { ...game.world.position } : null;
  },
  get players() {
    return game ? [...game.world.players.values()].map((p) => ({ ...p })) : [];
  },
  get connected() {
    return game?.session.connected ?? false;
  },
  get seq() {
    return game?.session.seq ?? 0;
  },
  get ackedSeq() {
    return game?.session.ackedSeq ?? 0;
  },
  /** Moves sent and not yet acknowledged (kept while the connection is down). */
  get waiting() {
    return game?.session.waiting ?? 0;
  },
  /** The world bounds from the server's welcome. */
  get bounds() {
    return game ? { ...game.world.bounds } : null;
  },
  /** Where the other players were drawn in the last frame (interpolated), by id. */
  get drawn() {
    return game?.drawn ? Object.fromEntries([...game.drawn].map(([id, pose]) => [id, { ...pose }])) : {};
  },
  get status() {
    return game?.status.shown ?? '';
  },
});
