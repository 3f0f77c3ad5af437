/**
 * Where each player was, as time-sorted columns per player. History pages and live
 * `players:moved` entries both land here, so playback and live mode draw the same way.
 * A player is at their latest movement at or before an instant (as GET /world/snapshot).
 */

export function createTracks() {
  return { byId: new Map(), start: Infinity, end: -Infinity, count: 0 };
}

function trackOf(tracks, id, username) {
  let track = tracks.byId.get(id);
  if (!track) {
    track = { id, username: username ?? id.slice(0, 8), t: [], x: [], y: [], heading: [] };
    tracks.byId.set(id, track);
  } else if (username) track.username = username;
  return track;
}

/** Appends one movement; out-of-order arrivals (rare: a slow client's catch-up) are inserted in place. */
export function addPoint(tracks, id, t, x, y, heading = 0, username) {
  const track = trackOf(tracks, id, username);
  let i = track.t.length;
  while (i > 0 && track.t[i - 1] > t) i -= 1;
  if (i === track.t.length) {
    track.t.push(t);
    track.x.push(x);
    track.y.push(y);
    track.heading.push(heading);
  } else {
    track.t.splice(i, 0, t);
    track.x.splice(i, 0, x);
    track.y.splice(i, 0, y);
    track.heading.splice(i, 0, heading);
  }
  tracks.count += 1;
  if (t < tracks.start) tracks.start = t;
  if (t > tracks.end) tracks.end = t;
}

export function renamePlayer(tracks, id, username) {
  const track = tracks.byId.get(id);
  if (track) track.username = username;
}

export function removePlayer(tracks, id) {
  tracks.byId.delete(id);
}

/** Index of the last point at or before t, or -1. */
export function indexAt(track, t) {
  const times = track.t;
  let lo = 0;
  let hi = times.length - 1;
  if (hi < 0 || times[0] > t) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid] <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Every player who had moved by t, where they were: [{id, username, x, y, heading, at}]. */
export function positionsAt(tracks, t) {
  const out = [];
  for (const track of tracks.byId.values()) {
    const i = indexAt(track, t);
    if (i >= 0) out.push({ id: track.id, username: track.username, x: track.x[i], y: track.y[i], heading: track.heading[i], at: track.t[i] });
  }
  return out;
}

/** The instant of the next (direction > 0) or previous movement of any player after or before t: one frame step. */
export function nextEventTime(tracks, t, direction) {
  let best = direction > 0 ? Infinity : -Infinity;
  for (const track of tracks.byId.values()) {
    const i = indexAt(track, t);
    if (direction > 0) {
      const j = i + 1;
      if (j < track.t.length && track.t[j] < best) best = track.t[j];
    } else {
      // The point at or before t, unless it is t itself: then the one before it.
      const j = i >= 0 && track.t[i] === t ? i - 1 : i;
      if (j >= 0 && track.t[j] > best) best = track.t[j];
    }
  }
  return Number.isFinite(best) ? best : null;
}
