import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { DataSource } from 'typeorm';

/** Debian's Chromium (npm test installs it when missing: ensure-chromium.js), or CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface GamePage {
  page: Page;
  /** Uncaught exceptions and console errors of the page, for a check that there were none. */
  errors: string[];
}

export async function openGame(context: BrowserContext, url: string): Promise<GamePage> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // Chromium logs every 4xx answer, and the tests provoke some on purpose.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(`console: ${message.text()}`);
  });
  await page.goto(url);
  await page.locator('#login-form').waitFor();
  return { page, errors };
}

/** Fills the form and presses "Log in" or "Register". */
export async function submitForm(page: Page, action: 'login' | 'register', username: string, password: string): Promise<void> {
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click(action === 'login' ? '#login-button' : '#register-button');
}

export interface PageSelf {
  id: string;
  username: string;
}

/** Waits until the page is on the map and welcomed by the server; returns who it is. */
export async function waitUntilPlaying(page: Page): Promise<PageSelf> {
  await page.locator('#world').waitFor({ state: 'visible' });
  await page.waitForFunction(() => (window as any).waypoint.connected === true);
  return page.evaluate(() => (window as any).waypoint.self);
}

/**
 * The text of a HUD element once it includes `text`. The HUD is redrawn on the next
 * animation frame after the state it shows changes, which a loaded machine may delay, so
 * reading it right after the state changed can find the previous frame's text. After 5 s
 * without it, returns what is shown, for the test's own expect to report.
 */
export async function hudText(page: Page, selector: string, text: string): Promise<string | null> {
  await page
    .waitForFunction(([sel, wanted]) => document.querySelector(sel)?.textContent?.includes(wanted) === true, [selector, text] as const, { timeout: 5_000 })
    .catch(() => undefined); // the expect that follows says what was shown instead
  return page.textContent(selector);
}

export interface Place {
  x: number;
  y: number;
  z: number;
  heading: number;
}

export function pagePosition(page: Page): Promise<Place> {
  return page.evaluate(() => (window as any).waypoint.position);
}

export function pagePlayers(page: Page): Promise<Array<Place & { id: string; username: string }>> {
  return page.evaluate(() => (window as any).waypoint.players);
}

export async function holdKey(page: Page, key: string, ms: number): Promise<void> {
  await page.keyboard.down(key);
  await page.waitForTimeout(ms);
  await page.keyboard.up(key);
}

/** The data of the player's latest PlayerMoved event, or null. */
export async function lastRecordedMove(dataSource: DataSource, playerId: string): Promise<(Place & { seq: number | null }) | null> {
  const rows = await dataSource.query(
    `SELECT data FROM events WHERE stream_id = 'movement-' || $1 AND type = 'PlayerMoved' ORDER BY stream_version DESC LIMIT 1`,
    [playerId],
  );
  return rows[0]?.data ?? null;
}

export async function countRecordedMoves(dataSource: DataSource, playerId: string): Promise<number> {
  const [{ n }] = await dataSource.query(
    `SELECT count(*)::int AS n FROM events WHERE stream_id = 'movement-' || $1 AND type = 'PlayerMoved'`,
    [playerId],
  );
  return n;
}

/** Polls `read` until `accept` holds; fails with the last value seen. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!accept(value)) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

/** The canvas colour [r, g, b] at an offset in CSS pixels from its centre (where the view keeps this player). */
export function canvasColorFromCentre(page: Page, dx: number, dy: number): Promise<[number, number, number]> {
  return page.evaluate(
    ([dx, dy]) => {
      const canvas = document.getElementById('world') as HTMLCanvasElement;
      const ratio = canvas.width / canvas.clientWidth;
      const x = Math.round((canvas.clientWidth / 2 + dx) * ratio);
      const y = Math.round((canvas.clientHeight / 2 + dy) * ratio);
      const [r, g, b] = canvas.getContext('2d')!.getImageData(x, y, 1, 1).data;
      return [r, g, b] as [number, number, number];
    },
    [dx, dy],
  );
}
