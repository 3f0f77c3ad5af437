/** Keyboard and pointer input and the movement they make. World y grows upwards (north), like the heading angle. */

const DIRECTIONS = {
  ArrowUp: [0, 1],
  KeyW: [0, 1],
  ArrowDown: [0, -1],
  KeyS: [0, -1],
  ArrowLeft: [-1, 0],
  KeyA: [-1, 0],
  ArrowRight: [1, 0],
  KeyD: [1, 0],
};

export const SPEED_UNITS_PER_SECOND = 400;

/** Tracks which movement keys are held; `direction()` is a unit vector or null. */
export function createKeyboard(target = window) {
  const held = new Set();
  const onKey = (down) => (event) => {
    if (!(event.code in DIRECTIONS) || event.target instanceof HTMLInputElement) return;
    event.preventDefault();
    if (down) held.add(event.code);
    else held.delete(event.code);
  };
  const keydown = onKey(true);
  const keyup = onKey(false);
  // A key released while the window is not focused never sends keyup; without this the player runs on.
  const blur = () => held.clear();
  target.addEventListener('keydown', keydown);
  target.addEventListener('keyup', keyup);
  target.addEventListener('blur', blur);

  return {
    direction() {
      let dx = 0;
      let dy = 0;
      for (const code of held) {
        dx += DIRECTIONS[code][0];
        dy += DIRECTIONS[code][1];
      }
      const length = Math.hypot(dx, dy);
      return length === 0 ? null : { dx: dx / length, dy: dy / length };
    },
    release() {
      held.clear();
    },
    detach() {
      target.removeEventListener('keydown', keydown);
      target.removeEventListener('keyup', keyup);
      target.removeEventListener('blur', blur);
    },
  };
}

/** Closer to the player than this (CSS px), a held finger does not move them: no jitter on the spot. */
const DEAD_ZONE_PX = 14;

/**
 * A finger (or mouse button, or pen) held on the map walks the player towards it: the
 * player is drawn at the map's centre, so the direction is from the centre to the pointer.
 * `direction()` is a unit vector in world axes (y up) or null.
 */
export function createPointer(canvas) {
  let held = null; // {id, x, y} in CSS px relative to the canvas
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return { id: event.pointerId, x: event.clientX - box.left - box.width / 2, y: event.clientY - box.top - box.height / 2 };
  };
  const down = (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture?.(event.pointerId);
    held = at(event);
  };
  const move = (event) => {
    if (held?.id === event.pointerId) held = at(event);
  };
  const up = (event) => {
    if (held?.id === event.pointerId) held = null;
  };
  canvas.addEventListener('pointerdown', down);
  canvas.addEventListener('pointermove', move);
  canvas.addEventListener('pointerup', up);
  canvas.addEventListener('pointercancel', up);
  return {
    direction() {
      if (!held) return null;
      const length = Math.hypot(held.x, held.y);
      return length < DEAD_ZONE_PX ? null : { dx: held.x / length, dy: -held.y / length };
    },
    detach() {
      held = null;
      canvas.removeEventListener('pointerdown', down);
      canvas.removeEventListener('pointermove', move);
      canvas.removeEventListener('pointerup', up);
      canvas.removeEventListener('pointercancel', up);
    },
  };
}

const hundredths = (value) => Math.round(value * 100) / 100;
// The server keeps positions to a millionth: a heading rounded so, the page shows what is stored.
const millionths = (value) => Math.round(value * 1e6) / 1e6;

/**
 * Where `position` is after moving `seconds` in `direction`, kept inside the world's
 * `bounds` (welcome.world); the heading is the direction of motion.
 */
export function advance(position, direction, seconds, bounds) {
  const distance = SPEED_UNITS_PER_SECOND * seconds;
  const clamp = (value) => Math.min(bounds.max, Math.max(bounds.min, value));
  return {
    x: clamp(hundredths(position.x + direction.dx * distance)),
    y: clamp(hundredths(position.y + direction.dy * distance)),
    z: position.z,
    heading: millionths(Math.atan2(direction.dy, direction.dx)),
  };
}
