/**
 * Draws one frame of the replay: grid, heatmap, fading trails, players and names. Every
 * layer is a handful of canvas paths whatever the number of players (the dots are one
 * path, the trails one path per age band), so 1,000 players stay well within a frame.
 * World y grows upwards, screen y downwards.
 */
import { indexAt } from './tracks.js';

export const COLORS = {
  background: '#0f1720',
  grid: 'rgba(148, 163, 184, 0.10)',
  axis: 'rgba(148, 163, 184, 0.35)',
  gridLabel: 'rgba(148, 163, 184, 0.55)',
  player: '#38bdf8',
  followed: '#fbbf24',
  label: '#e2e8f0',
  outline: 'rgba(15, 23, 32, 0.9)',
};
const DOT_RADIUS = 5;
const TRAIL_BANDS = 4;
const TRAIL_MAX_POINTS = 40;
const HEAT_BANDS = 6;
// Above this many players in view, only the followed player is named: the rest would be an unreadable smear.
const LABEL_LIMIT = 150;
const MIN_GRID_GAP_PX = 70;

export function createCamera() {
  return { x: 0, y: 0, zoom: 1, width: 0, height: 0 };
}

export const toScreen = (camera, x, y) => ({ x: camera.width / 2 + (x - camera.x) * camera.zoom, y: camera.height / 2 - (y - camera.y) * camera.zoom });
export const toWorld = (camera, sx, sy) => ({ x: camera.x + (sx - camera.width / 2) / camera.zoom, y: camera.y - (sy - camera.height / 2) / camera.zoom });

/** Centres the camera on a box of world coordinates with a margin. */
export function fitCamera(camera, box) {
  if (!box) return;
  const w = Math.max(box.maxX - box.minX, 10);
  const h = Math.max(box.maxY - box.minY, 10);
  camera.x = (box.minX + box.maxX) / 2;
  camera.y = (box.minY + box.maxY) / 2;
  camera.zoom = Math.min((camera.width || 800) / (w * 1.3), (camera.height || 600) / (h * 1.3));
}

export function createPainter(canvas) {
  const ctx = canvas.getContext('2d');

  /** Draws the tracks at instant t; returns what was drawn, for the page's test hook. */
  function draw(camera, tracks, t, options) {
    const { width, height } = fitToDisplay(canvas, ctx);
    camera.width = width;
    camera.height = height;
    ctx.fillStyle = COLORS.background;
    ctx.fillRect(0, 0, width, height);
    drawGrid(ctx, camera);
    if (options.heatmap) drawHeatmap(ctx, camera, options.heatmap);

    const shown = [];
    const trailBands = Array.from({ length: TRAIL_BANDS }, () => new Path2D());
    const dots = new Path2D();
    const margin = 20;
    for (const track of tracks.byId.values()) {
      if (options.players && !options.players.has(track.id)) continue;
      const i = indexAt(track, t);
      if (i < 0) continue;
      const at = toScreen(camera, track.x[i], track.y[i]);
      if (options.trailMs > 0) addTrail(trailBands, camera, track, i, t, options.trailMs);
      const visible = at.x >= -margin && at.x <= width + margin && at.y >= -margin && at.y <= height + margin;
      shown.push({ id: track.id, username: track.username, x: track.x[i], y: track.y[i], at: track.t[i], sx: at.x, sy: at.y, visible });
      if (!visible || track.id === options.follow) continue;
      dots.moveTo(at.x + DOT_RADIUS, at.y);
      dots.arc(at.x, at.y, DOT_RADIUS, 0, 2 * Math.PI);
    }
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    trailBands.forEach((band, k) => {
      ctx.strokeStyle = `rgba(56, 189, 248, ${(0.12 + (0.6 * k) / (TRAIL_BANDS - 1)).toFixed(2)})`;
      ctx.stroke(band);
    });
    ctx.fillStyle = COLORS.player;
    ctx.fill(dots);

    const followed = shown.find((p) => p.id === options.follow && p.visible);
    if (followed) {
      ctx.beginPath();
      ctx.arc(followed.sx, followed.sy, DOT_RADIUS + 2, 0, 2 * Math.PI);
      ctx.fillStyle = COLORS.followed;
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#fff7d6';
      ctx.stroke();
    }
    const inView = shown.filter((p) => p.visible);
    const named = inView.length <= LABEL_LIMIT ? inView : followed ? [followed] : [];
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.lineWidth = 3;
    ctx.strokeStyle = COLORS.outline;
    ctx.fillStyle = COLORS.label;
    for (const p of named) ctx.strokeText(p.username, p.sx, p.sy - DOT_RADIUS - 6);
    for (const p of named) ctx.fillText(p.username, p.sx, p.sy - DOT_RADIUS - 6);
    return shown;
  }

  return { draw };
}

/** The track's points in (t - trailMs, t], newest last, as segments sorted into age bands (older = fainter). */
function addTrail(bands, camera, track, last, t, trailMs) {
  const first = Math.max(0, last - TRAIL_MAX_POINTS);
  let prev = null;
  for (let j = first; j <= last; j += 1) {
    const age = t - track.t[j];
    if (age > trailMs) continue;
    const p = toScreen(camera, track.x[j], track.y[j]);
    if (prev) {
      const band = bands[Math.min(TRAIL_BANDS - 1, Math.floor((1 - age / trailMs) * TRAIL_BANDS))];
      band.moveTo(prev.x, prev.y);
      band.lineTo(p.x, p.y);
    }
    prev = p;
  }
}

function drawHeatmap(ctx, camera, heatmap) {
  const max = heatmap.cells.reduce((m, c) => Math.max(m, c.count), 1);
  const bands = Array.from({ length: HEAT_BANDS }, () => new Path2D());
  const side = heatmap.cell * camera.zoom;
  for (const cell of heatmap.cells) {
    const corner = toScreen(camera, cell.x, cell.y + heatmap.cell);
    if (corner.x > camera.width || corner.y > camera.height || corner.x + side < 0 || corner.y + side < 0) continue;
    // Square root: a few crowded cells should not wash every other one out.
    const k = Math.min(HEAT_BANDS - 1, Math.floor(Math.sqrt(cell.count / max) * HEAT_BANDS));
    bands[k].rect(corner.x, corner.y, Math.max(side, 1), Math.max(side, 1));
  }
  bands.forEach((band, k) => {
    ctx.fillStyle = `rgba(249, 115, 22, ${(0.12 + (0.55 * k) / (HEAT_BANDS - 1)).toFixed(2)})`;
    ctx.fill(band);
  });
}

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

function drawGrid(ctx, camera) {
  const wanted = MIN_GRID_GAP_PX / camera.zoom;
  const power = 10 ** Math.floor(Math.log10(wanted));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= wanted);
  const topLeft = toWorld(camera, 0, 0);
  const bottomRight = toWorld(camera, camera.width, camera.height);
  ctx.font = '11px ui-monospace, SFMono-Regular, Menlo, monospace';
  ctx.textAlign = 'left';
  ctx.lineWidth = 1;
  const lines = new Path2D();
  const axes = new Path2D();
  ctx.fillStyle = COLORS.gridLabel;
  for (let x = Math.ceil(topLeft.x / step) * step; x <= bottomRight.x; x += step) {
    const sx = Math.round(toScreen(camera, x, 0).x) + 0.5;
    (x === 0 ? axes : lines).moveTo(sx, 0);
    (x === 0 ? axes : lines).lineTo(sx, camera.height);
    ctx.fillText(String(+x.toPrecision(12)), sx + 3, camera.height - 6);
  }
  for (let y = Math.floor(topLeft.y / step) * step; y >= bottomRight.y; y -= step) {
    const sy = Math.round(toScreen(camera, 0, y).y) + 0.5;
    (y === 0 ? axes : lines).moveTo(0, sy);
    (y === 0 ? axes : lines).lineTo(camera.width, sy);
    ctx.fillText(String(+y.toPrecision(12)), 4, sy - 4);
  }
  ctx.strokeStyle = COLORS.grid;
  ctx.stroke(lines);
  ctx.strokeStyle = COLORS.axis;
  ctx.stroke(axes);
}
