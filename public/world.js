/**
 * What this client knows of the world: who it is, where it is, and the other players
 * online, kept current from the Socket.IO events of docs/protocol.md.
 */

// A player who has never moved has no stored position (the server's origin).
const ORIGIN = { x: 0, y: 0, z: 0, heading: 0 };
/** New players start at a random point this far from the origin at most, so they do not all stand on one spot. */
const SPAWN_RADIUS = 200;

// Until the server's welcome says otherwise (welcome.world).
const DEFAULT_BOUNDS = { min: -100000, max: 100000, cellSize: null };

export function createWorld() {
  return { self: null, position: { ...ORIGIN }, players: new Map(), bounds: { ...DEFAULT_BOUNDS } };
}

const placeOf = ({ x, y, z, heading }) => ({ x, y, z, heading });

function placed(position) {
  const { x, y, z, heading } = position ?? ORIGIN;
  return { x, y, z, heading };
}

/** `keepPosition`: a resumed session, where this page's own position is ahead of the server's. */
export function applyWelcome(world, welcome, { keepPosition = false } = {}) {
  world.self = { ...welcome.self };
  if (welcome.world) world.bounds = { ...welcome.world };
  if (!keepPosition) world.position = welcome.position ? placed(welcome.position) : spawnPoint(world.bounds);
  world.players = new Map();
  for (const player of welcome.players) applyJoined(world, player);
}

/** A random point within SPAWN_RADIUS of the origin, inside the world. The page sends it as its first move. */
function spawnPoint({ min, max }) {
  const angle = Math.random() * 2 * Math.PI;
  const distance = SPAWN_RADIUS * Math.sqrt(Math.random());
  const inside = (v) => Math.round(Math.min(max, Math.max(min, v)) * 100) / 100;
  return { x: inside(distance * Math.cos(angle)), y: inside(distance * Math.sin(angle)), z: 0, heading: 0 };
}

export function applyJoined(world, { id, username, position }) {
  if (id === world.self?.id) return;
  // A player:joined can overtake the welcome; a position already known stays.
  const known = world.players.get(id);
  world.players.set(id, { id, username, ...(known && !position ? placeOf(known) : placed(position)) });
}

export function applyLeft(world, { id }) {
  world.players.delete(id);
}

/** Our own entries are ignored: this client already drew its own movement before sending it. */
export function applyMoved(world, entries) {
  for (const { id, x, y, z, heading } of entries) {
    if (id === world.self?.id) continue;
    const known = world.players.get(id);
    // An entry can overtake its player's `player:joined`; the name follows with that event.
    world.players.set(id, { id, username: known?.username ?? id.slice(0, 8), x, y, z, heading });
  }
}
