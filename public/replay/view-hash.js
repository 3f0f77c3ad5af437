/**
 * The view in the URL hash, so a link reopens the same moment:
 * `#from=<ISO>&to=<ISO>&t=<ISO>&speed=<1..64>&players=<id,id>&follow=<id>&live=1`.
 */

export const SPEEDS = [1, 2, 4, 8, 16, 32, 64];

const instant = (text) => {
  if (!text) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
};

export function readHash(hash = location.hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const speed = Number(params.get('speed'));
  return {
    from: instant(params.get('from')),
    to: instant(params.get('to')),
    t: instant(params.get('t')),
    speed: SPEEDS.includes(speed) ? speed : 1,
    players: (params.get('players') ?? '').split(',').filter(Boolean),
    follow: params.get('follow') || null,
    live: params.get('live') === '1',
  };
}

export function writeHash(view) {
  const params = new URLSearchParams();
  if (view.live) params.set('live', '1');
  else {
    params.set('from', new Date(view.from).toISOString());
    params.set('to', new Date(view.to).toISOString());
    params.set('t', new Date(Math.round(view.t)).toISOString());
  }
  params.set('speed', String(view.speed));
  if (view.players.length > 0) params.set('players', view.players.join(','));
  if (view.follow) params.set('follow', view.follow);
  const hash = `#${params.toString().replaceAll('%3A', ':').replaceAll('%2C', ',')}`;
  if (hash !== location.hash) history.replaceState(null, '', hash);
}
