/**
 * Draws the world on a canvas, centred on this player. World y grows upwards, screen y
 * downwards, so y and angles are flipped on the way to the screen.
 */

const COLORS = {
  background: '#0f1720',
  grid: 'rgba(148, 163, 184, 0.10)',
  axis: 'rgba(148, 163, 184, 0.35)',
  gridLabel: 'rgba(148, 163, 184, 0.55)',
  border: '#ef4444',
  other: '#38bdf8',
  self: '#fbbf24',
  label: '#e2e8f0',
  outline: 'rgba(15, 23, 32, 0.9)',
};
const DOT_RADIUS = 9;
const EDGE_INSET = 28;
const MIN_GRID_GAP_PX = 70;

export function createRenderer(canvas) {
  const ctx = canvas.getContext('2d');

  /** `poses`: where to draw the other players (interpolated by the client library), by id. */
  function draw(world, zoom, poses = new Map()) {
    const { width, height } = fitToDisplay(canvas, ctx);
    const camera = { x: world.position.x, y: world.position.y, zoom, cx: width / 2, cy: height / 2 };
    ctx.fillStyle = COLORS.background;
    ctx.fillRect(0, 0, width, height);
    drawGrid(ctx, camera, width, height);
    drawBorder(ctx, camera, world.bounds);
    for (const known of world.players.values()) {
      const player = { ...known, ...poses.get(known.id) };
      const at = toScreen(camera, player);
      if (isOnScreen(at, width, height)) drawPlayer(ctx, at, player.heading, COLORS.other, player.username);
      else drawEdgeMarker(ctx, camera, at, width, height, player);
    }
    if (world.self) {
      drawPlayer(ctx, { x: camera.cx, y: camera.cy }, world.position.heading, COLORS.self, `${world.self.username} (you)`, true);
    }
  }

  return { draw };
}

/** Sizes the backing store to the element in device pixels, so lines stay sharp on HiDPI screens. */
function fitToDisplay(canvas, ctx) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { width, height };
}

function toScreen(camera, point) {
  return { x: camera.cx + (point.x - camera.x) * camera.zoom, y: camera.cy - (point.y - camera.y) * camera.zoom };
}

function isOnScreen({ x, y }, width, height) {
  return x >= 0 && x <= width && y >= 0 && y <= height;
}

/** The smallest of 1, 2, 5 × 10^k world units that keeps grid lines at least MIN_GRID_GAP_PX apart. */
function gridStep(zoom) {
  const wanted = MIN_GRID_GAP_PX / zoom;
  const power = 10 ** Math.floor(Math.log10(wanted));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= wanted);
}

function drawGrid(ctx, camera, width, height) {
  const step = gridStep(camera.zoom);
  const left = camera.x - camera.cx / camera.zoom;
  const top = camera.y + camera.cy / camera.zoom;
  ctx.font = '11px ui-monospace, SFMono-Regular, Menlo, monospace';
  ctx.lineWidth = 1;
  for (let x = Math.ceil(left / step) * step; x <= left + width / camera.zoom; x += step) {
    const sx = Math.round(toScreen(camera, { x, y: 0 }).x) + 0.5;
    line(ctx, sx, 0, sx, height, x === 0 ? COLORS.axis : COLORS.grid);
    ctx.fillStyle = COLORS.gridLabel;
    ctx.textAlign = 'left';
    ctx.fillText(String(x), sx + 3, height - 6);
  }
  for (let y = Math.floor(top / step) * step; y >= top - height / camera.zoom; y -= step) {
    const sy = Math.round(toScreen(camera, { x: 0, y }).y) + 0.5;
    line(ctx, 0, sy, width, sy, y === 0 ? COLORS.axis : COLORS.grid);
    ctx.fillStyle = COLORS.gridLabel;
    ctx.textAlign = 'left';
    ctx.fillText(String(y), 4, sy - 4);
  }
}

function drawBorder(ctx, camera, { min, max }) {
  const topLeft = toScreen(camera, { x: min, y: max });
  const size = (max - min) * camera.zoom;
  ctx.strokeStyle = COLORS.border;
  ctx.lineWidth = 2;
  ctx.strokeRect(topLeft.x, topLeft.y, size, size);
}

function line(ctx, x1, y1, x2, y2, color) {
  ctx.strokeStyle = color;
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x2, y2);
  ctx.stroke();
}

/** A dot with a nose pointing along the heading, and a name above it. */
function drawPlayer(ctx, at, heading, color, label, highlighted = false) {
  const angle = -heading;
  ctx.save();
  ctx.translate(at.x, at.y);
  if (highlighted) {
    ctx.beginPath();
    ctx.arc(0, 0, DOT_RADIUS + 7, 0, 2 * Math.PI);
    ctx.fillStyle = 'rgba(251, 191, 36, 0.18)';
    ctx.fill();
  }
  ctx.rotate(angle);
  ctx.beginPath();
  ctx.moveTo(DOT_RADIUS + 9, 0);
  ctx.lineTo(DOT_RADIUS - 2, -6);
  ctx.lineTo(DOT_RADIUS - 2, 6);
  ctx.closePath();
  ctx.fillStyle = color;
  ctx.fill();
  ctx.beginPath();
  ctx.arc(0, 0, DOT_RADIUS, 0, 2 * Math.PI);
  ctx.fill();
  ctx.lineWidth = 2;
  ctx.strokeStyle = highlighted ? '#fff7d6' : COLORS.outline;
  ctx.stroke();
  ctx.restore();
  drawLabel(ctx, label, at.x, at.y - DOT_RADIUS - 12, highlighted);
}

const labelFont = (bold) => `${bold ? '600 ' : ''}13px system-ui, sans-serif`;

function drawLabel(ctx, text, x, y, bold = false) {
  ctx.font = labelFont(bold);
  ctx.textAlign = 'center';
  ctx.lineJoin = 'round';
  ctx.lineWidth = 4;
  ctx.strokeStyle = COLORS.outline;
  ctx.strokeText(text, x, y);
  ctx.fillStyle = COLORS.label;
  ctx.fillText(text, x, y);
}

/** A player out of view: an arrow on the screen's edge towards them, with name and distance. */
function drawEdgeMarker(ctx, camera, at, width, height, player) {
  const dx = at.x - camera.cx;
  const dy = at.y - camera.cy;
  const reach = Math.min((camera.cx - EDGE_INSET) / Math.abs(dx || 1e-9), (camera.cy - EDGE_INSET) / Math.abs(dy || 1e-9));
  const x = camera.cx + dx * reach;
  const y = camera.cy + dy * reach;
  ctx.save();
  ctx.translate(x, y);
  ctx.rotate(Math.atan2(dy, dx));
  ctx.beginPath();
  ctx.moveTo(10, 0);
  ctx.lineTo(-6, -7);
  ctx.lineTo(-6, 7);
  ctx.closePath();
  ctx.fillStyle = COLORS.other;
  ctx.globalAlpha = 0.8;
  ctx.fill();
  ctx.restore();
  const label = `${player.username} · ${formatDistance(Math.hypot(player.x - camera.x, player.y - camera.y))}`;
  ctx.font = labelFont(false);
  const half = ctx.measureText(label).width / 2 + 6;
  const labelX = Math.min(Math.max(x, half), width - half);
  const labelY = Math.min(Math.max(y + (dy > 0 ? -14 : 22), 14), height - 8);
  drawLabel(ctx, label, labelX, labelY);
}

export function formatDistance(units) {
  return units >= 1000 ? `${(units / 1000).toFixed(1)}k` : `${Math.round(units)}`;
}
