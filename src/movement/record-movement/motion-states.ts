import { Inject, Injectable } from '@nestjs/common';
import { SETTINGS, Settings } from '../../config/settings';
import { initialMotionState, MotionState, MovementLimits } from './movement-rules';

/** Per-player rate-limit bucket and last accepted position, for the players on this node. */
@Injectable()
export class MotionStates {
  private readonly states = new Map<string, MotionState>();
  readonly limits: MovementLimits;

  constructor(@Inject(SETTINGS) settings: Settings) {
    this.limits = {
      world: settings.world,
      rateLimit: settings.rateLimit,
      maxSpeed: settings.maxSpeed,
      maxPositionPayloadBytes: settings.maxPositionPayloadBytes,
    };
  }

  get(playerId: string, now: number): MotionState {
    return this.states.get(playerId) ?? initialMotionState(this.limits, now);
  }

  set(playerId: string, state: MotionState): void {
    this.states.set(playerId, state);
  }

  /** Starts a session from the stored position, so the first move is speed-checked too; keeps a live state. */
  prime(playerId: string, last: MotionState['last'], now: number): void {
    if (!this.states.has(playerId)) this.states.set(playerId, initialMotionState(this.limits, now, last));
  }

  forget(playerId: string): void {
    this.states.delete(playerId);
  }
}
