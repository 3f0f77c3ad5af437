/**
 * Live mode: the analyst's own Socket.IO connection, as a game client makes one, feeding
 * `players:moved` into the same tracks the history fills. The server treats the
 * connection as that analyst coming online (others see them join, standing at their last
 * position); the analyst never sends a position, so they never move.
 *
 * `on.status(text, kind)`; `on.ended(reason)` once: 'unauthorized', 'replaced', 'closed'.
 */
import { addPoint, removePlayer, renamePlayer } from './tracks.js';

export function openLive(token, tracks, on) {
  const socket = io({ auth: { token }, transports: ['websocket', 'polling'], tryAllTransports: true });
  let self = null;
  let ended = false;
  // The server's clock (the database's, which stamps `t`) minus this browser's: the smallest
  // lag seen, so "now" on the page is the server's now, whatever this machine's clock says.
  let offset = null;

  const seen = (t) => {
    const lag = t - Date.now();
    if (offset === null || lag > offset) offset = lag;
  };
  const place = (id, username, position) => {
    if (!position) return;
    const t = Date.parse(position.at);
    seen(t);
    addPoint(tracks, id, t, position.x, position.y, position.heading, username);
  };

  socket.on('welcome', (welcome) => {
    self = welcome.self;
    for (const player of welcome.players) place(player.id, player.username, player.position);
    on.status('live: following the world as it moves', 'info');
  });
  socket.on('player:joined', (player) => {
    if (player.id === self?.id) return;
    place(player.id, player.username, player.position);
    renamePlayer(tracks, player.id, player.username);
  });
  socket.on('player:left', ({ id }) => removePlayer(tracks, id));
  socket.on('players:moved', (entries) => {
    for (const { id, x, y, heading, t } of entries) {
      if (id === self?.id) continue;
      seen(t);
      addPoint(tracks, id, t, x, y, heading);
    }
  });
  socket.on('session:replaced', () => end('replaced'));
  socket.on('error', (error) => on.status(`${error?.message ?? 'error'} (${error?.code ?? 'error'})`, 'error'));
  socket.on('connect_error', (error) => {
    if (error.message === 'unauthorized') end('unauthorized');
    else on.status('cannot reach the server; retrying…', 'warning');
  });
  socket.on('disconnect', (reason) => {
    if (ended || reason === 'io client disconnect') return;
    if (reason === 'io server disconnect') end('closed');
    else on.status('connection lost; reconnecting…', 'warning');
  });

  function end(reason) {
    if (ended) return;
    ended = true;
    socket.disconnect();
    on.ended(reason);
  }

  return {
    /** The present on the server's clock, in ms since the epoch. */
    now: () => Date.now() + (offset ?? 0),
    get connected() {
      return self !== null && socket.connected;
    },
    get self() {
      return self;
    },
    close() {
      ended = true;
      socket.disconnect();
    },
  };
}
