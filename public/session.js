import { applyJoined, applyLeft, applyMoved, applyWelcome } from './world.js';

const ACK_TIMEOUT_MS = 5000;

const samePlace = (a, b) => a.x === b.x && a.y === b.y && a.z === b.z && a.heading === b.heading;
const placeOf = ({ x, y, z, heading }) => ({ x, y, z, heading });

/**
 * One signed-in connection (docs/protocol.md, Socket.IO section): keeps `world` current from
 * the server's events and sends this player's moves.
 *
 * `on.status(text, kind)` reports the connection and rejected moves; `on.ended(reason)`
 * fires once when the session cannot go on: 'unauthorized', 'replaced' or 'closed'.
 */
export function openSession(token, world, on) {
  // WebSocket first, long-polling only if it fails. Starting on polling and upgrading costs
  // extra round trips at login, and a page that goes away while its upgrade is being probed
  // leaves no request open, so the server only finds out at the heartbeat timeout (~45 s),
  // and the player stays online that long.
  const socket = io({ auth: { token }, transports: ['websocket', 'polling'], tryAllTransports: true });
  let seq = 0;
  let ackedSeq = 0;
  let welcomed = false;
  let ended = false;
  // What the server has recorded (lastAccepted) and what it was last told (lastSent).
  let lastAccepted = null;
  let lastSent = null;

  socket.on('welcome', (welcome) => {
    applyWelcome(world, welcome);
    lastAccepted = placeOf(world.position);
    lastSent = lastAccepted;
    welcomed = true;
    on.status('connected', 'info');
  });
  socket.on('player:joined', (player) => applyJoined(world, player));
  socket.on('player:left', (player) => applyLeft(world, player));
  socket.on('players:moved', (entries) => applyMoved(world, entries));
  socket.on('session:replaced', () => end('replaced'));
  socket.on('error', (error) => on.status(describe(error), 'error'));
  socket.on('connect_error', (error) => {
    // A refused handshake is final: Socket.IO does not retry it, and the token will not get better.
    if (error.message === 'unauthorized') end('unauthorized');
    else on.status('cannot reach the server; retrying…', 'warning');
  });
  socket.on('disconnect', (reason) => {
    welcomed = false;
    if (ended || reason === 'io client disconnect') return;
    // The server only drops a session on purpose after telling it why; Socket.IO will not reconnect it.
    if (reason === 'io server disconnect') end('closed');
    else on.status('connection lost; reconnecting…', 'warning');
  });

  function end(reason) {
    if (ended) return;
    ended = true;
    welcomed = false;
    socket.disconnect();
    on.ended(reason);
  }

  function sendIfMoved() {
    if (!welcomed || samePlace(world.position, lastSent)) return;
    const position = { ...placeOf(world.position), seq: ++seq };
    lastSent = placeOf(position);
    socket.timeout(ACK_TIMEOUT_MS).emit('position', position, (timedOut, ack) => settle(position, timedOut, ack));
  }

  function settle(position, timedOut, ack) {
    if (ended) return;
    if (timedOut) {
      on.status(`move #${position.seq} was not confirmed in time`, 'error');
      return;
    }
    if (ack.ok) {
      if (position.seq > ackedSeq) {
        ackedSeq = position.seq;
        lastAccepted = placeOf(position);
      }
      return;
    }
    on.status(describe(ack.error), 'error');
    // The server keeps the last accepted position: step back to it so both agree on where we are.
    world.position = { ...lastAccepted };
    lastSent = lastAccepted;
  }

  return {
    canMove: () => welcomed,
    sendIfMoved,
    get seq() {
      return seq;
    },
    get ackedSeq() {
      return ackedSeq;
    },
    get connected() {
      return welcomed;
    },
    close() {
      ended = true;
      socket.disconnect();
    },
  };
}

function describe(error) {
  return `${error?.message ?? 'rejected'} (${error?.code ?? 'error'})`;
}
