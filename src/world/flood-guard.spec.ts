import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { Socket } from 'socket.io';
import { Settings } from '../config/settings';
import { WaypointMetrics } from '../metrics/waypoint-metrics';
import { FloodGuard } from './flood-guard';

/** The parts of a Socket.IO socket the guard touches: its engine connection, emit and disconnect. */
function fakeSocket() {
  const conn = Object.assign(new EventEmitter(), { close: jest.fn() });
  const socket = { id: 's1', data: {}, conn, emit: jest.fn(), disconnect: jest.fn() };
  return { socket, send: (n: number, type = 'message') => { for (let i = 0; i < n; i++) conn.emit('packet', { type }); } };
}

const metrics = { floodCutOff: jest.fn() } as unknown as WaypointMetrics;
const guard = (maxMessagesPerSecond: number | null, windowMs = 1000, cooldownMs = 0) =>
  new FloodGuard({ flood: { maxMessagesPerSecond, windowMs, cooldownMs } } as Settings, metrics);

describe('FloodGuard', () => {
  let now: number;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    jest.useFakeTimers({ doNotFake: ['Date'] });
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('given 100 per second over 1 s, when 101 messages arrive within the window, then it tells the client once and disconnects it', () => {
    const { socket, send } = fakeSocket();
    guard(100).watch(socket as unknown as Socket);
    send(100);
    expect(socket.disconnect).not.toHaveBeenCalled();
    send(1);
    expect(socket.emit).toHaveBeenCalledTimes(1);
    expect(socket.emit).toHaveBeenCalledWith('error', { code: 'flooding', message: expect.stringContaining('more than 100 messages within 1000 ms') });
    expect(socket.disconnect).toHaveBeenCalledWith(true);
    send(1_000);
    expect(socket.emit).toHaveBeenCalledTimes(1);
    // A client that does not read the error is dropped after a window.
    jest.advanceTimersByTime(1000);
    expect(socket.conn.close).toHaveBeenCalledWith(true);
  });

  it('given a steady rate just under the threshold, when it lasts a minute, then nothing happens', () => {
    const { socket, send } = fakeSocket();
    guard(100).watch(socket as unknown as Socket);
    for (let tick = 0; tick < 600; tick++) {
      send(9);
      now += 100;
    }
    expect(socket.emit).not.toHaveBeenCalled();
    expect(socket.disconnect).not.toHaveBeenCalled();
  });

  it('given a steady rate just over the threshold, when it lasts, then it is cut off within two windows', () => {
    const { socket, send } = fakeSocket();
    guard(100).watch(socket as unknown as Socket);
    let ticks = 0;
    while (!socket.disconnect.mock.calls.length && ticks < 100) {
      send(11);
      now += 100;
      ticks++;
    }
    expect(ticks).toBeLessThanOrEqual(20);
  });

  it('counts only messages: pings, pongs and upgrades are not the client talking', () => {
    const { socket, send } = fakeSocket();
    guard(100).watch(socket as unknown as Socket);
    send(1_000, 'pong');
    send(1_000, 'ping');
    expect(socket.disconnect).not.toHaveBeenCalled();
  });

  it('watches nothing when off', () => {
    const { socket, send } = fakeSocket();
    guard(null).watch(socket as unknown as Socket);
    send(100_000);
    expect(socket.conn.listenerCount('packet')).toBe(0);
    expect(socket.disconnect).not.toHaveBeenCalled();
  });

  it('given a cool-down of 5 s, when a player is cut off, then its new connections are refused for 5 s and no longer', () => {
    const g = guard(100, 1000, 5000);
    const { socket, send } = fakeSocket();
    (socket.data as { player?: { id: string } }).player = { id: 'p1' };
    g.watch(socket as unknown as Socket);
    send(101);
    expect(g.coolingDown('p1')).toBe(5000);
    expect(g.coolingDown('someone-else')).toBe(0);
    now += 4_999;
    expect(g.coolingDown('p1')).toBe(1);
    now += 1;
    expect(g.coolingDown('p1')).toBe(0);
  });
});
