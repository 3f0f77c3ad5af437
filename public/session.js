import { io } from '/socket.io/socket.io.esm.min.js';
import { WaypointClient } from '/client/waypoint.js';
import { applyJoined, applyLeft, applyMoved, applyWelcome } from './world.js';

const ORIGIN = { x: 0, y: 0, z: 0, heading: 0 };
const samePlace = (a, b) => a.x === b.x && a.y === b.y && a.z === b.z && a.heading === b.heading;
const placeOf = ({ x, y, z, heading }) => ({ x, y, z, heading });

/**
 * One signed-in connection, on the client library (docs/client.md): keeps `world` current
 * from the server's events and sends this player's moves. Moves made while the
 * connection is down are kept and sent once it is back; the library reconnects by itself.
 *
 * `on.status(text, kind)` reports the connection and rejected moves; `on.ended(reason)`
 * fires once when the session cannot go on: 'unauthorized' or 'replaced'. `resumeFrom`
 * (a `snapshot()` of the same player's session before a reload) continues that client
 * session: the server says what it recorded, and only the rest is sent again.
 */
export function openSession(token, world, on, resumeFrom = null) {
  const client = new WaypointClient({
    url: location.origin,
    token,
    io,
    clientSession: resumeFrom?.clientSession,
    firstSeq: resumeFrom?.nextSeq,
    pending: resumeFrom?.pending,
  });
  let welcomed = false;
  let ended = false;
  let seq = 0;
  let ackedSeq = 0;
  // After a reconnect, until the moves made meanwhile are all acknowledged.
  let flushing = false;
  // What the server has recorded (lastAccepted), what it was last told (lastSent), and the
  // moves sent and not yet answered, by seq.
  let lastAccepted = null;
  let lastSent = null;
  const unanswered = new Map((resumeFrom?.pending ?? []).map(({ seq, ...place }) => [seq, placeOf(place)]));

  client.on('welcome', (welcome) => {
    // After a reconnect the page stays where it is: its waiting moves go to the server now.
    const resumed = world.self !== null;
    applyWelcome(world, welcome, { keepPosition: resumed });
    // A new player is placed at a spawn point (world.js) the server has not heard of yet: it
    // goes out as the first move; until it is accepted, the server has the player at the origin.
    if (!resumed) {
      lastAccepted = placeOf(welcome.position ?? ORIGIN);
      lastSent = lastAccepted;
    }
    welcomed = true;
    flushing = client.waiting > 0;
    showConnection();
  });
  client.on('joined', (player) => applyJoined(world, player));
  client.on('left', (player) => applyLeft(world, player));
  client.on('moved', (entries) => applyMoved(world, entries));
  client.on('ack', ({ seq }) => {
    const position = unanswered.get(seq);
    unanswered.delete(seq);
    if (seq > ackedSeq) {
      ackedSeq = seq;
      if (position) lastAccepted = position;
    }
    if (client.waiting === 0) flushing = false;
    if (client.state === 'online') showConnection();
  });
  client.on('rejected', ({ seq, code, message }) => {
    unanswered.delete(seq);
    on.status(`${message} (${code})`, 'error');
    // The server keeps the last accepted position: step back to it so both agree on where we are.
    world.position = { ...lastAccepted };
    lastSent = lastAccepted;
  });
  client.on('dropped', ({ seq }) => unanswered.delete(seq));
  client.on('state', ({ state }) => {
    if (state === 'reconnecting' && !ended) {
      welcomed = false;
      showConnection();
    }
  });
  client.on('replaced', () => end('replaced'));
  client.on('error', (error) => {
    if (error.code === 'unauthorized') end('unauthorized');
    else on.status(`${error.message} (${error.code})`, 'warning');
  });
  client.connect();

  let shown = '';
  /** "connected", "reconnecting…, 12 moves waiting", or "connected, sending 12 moves waiting…". */
  function showConnection() {
    const waiting = client.waiting;
    const moves = `${waiting} move${waiting === 1 ? '' : 's'}`;
    let text;
    if (client.state !== 'online') text = waiting > 0 ? `reconnecting…, ${moves} waiting` : 'reconnecting…';
    else text = flushing && waiting > 0 ? `connected, sending ${moves} waiting…` : 'connected';
    if (text !== shown) on.status(text, text.startsWith('reconnecting') ? 'warning' : 'info');
    shown = text;
  }

  function end(reason) {
    if (ended) return;
    ended = true;
    welcomed = false;
    client.close();
    on.ended(reason);
  }

  function sendIfMoved() {
    if (ended || world.self === null || samePlace(world.position, lastSent)) return;
    const position = placeOf(world.position);
    seq = client.send(position);
    unanswered.set(seq, position);
    lastSent = position;
    if (client.state !== 'online') showConnection();
  }

  return {
    // Moving goes on while the connection is down: the moves wait and are sent when it is back.
    canMove: () => !ended && world.self !== null,
    sendIfMoved,
    /** The client session and the moves still waiting, to carry over a reload. */
    snapshot: () => client.snapshot(),
    /** Where to draw the other players now: interpolated, about one tick behind. */
    poses: () => client.poses(),
    get seq() {
      return seq;
    },
    get ackedSeq() {
      return ackedSeq;
    },
    get waiting() {
      return client.waiting;
    },
    get connected() {
      return welcomed;
    },
    close() {
      ended = true;
      client.close();
    },
  };
}
