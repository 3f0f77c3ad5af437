import { Decoder, Encoder } from 'socket.io-parser';
import type { BroadcastCounter } from './lean-client';

/** Broadcasts every client gets; a simulated player does not need their contents. */
const SKIPPED_PREFIXES = ['2["players:moved"', '2["player:joined"', '2["player:left"'];

/**
 * A socket.io-client parser that counts and drops the broadcast frames instead of
 * JSON-parsing them, so one process can drive thousands of players; acks, `welcome`
 * and everything else are decoded by the stock parser.
 */
export function cheapParser(counter: BroadcastCounter): { Encoder: typeof Encoder; Decoder: typeof Decoder } {
  class CountingDecoder extends Decoder {
    add(obj: any): void {
      if (typeof obj === 'string' && obj.charCodeAt(0) === 50 /* "2": EVENT */) {
        for (const prefix of SKIPPED_PREFIXES) {
          if (obj.startsWith(prefix)) {
            counter.frames++;
            counter.chars += obj.length;
            return;
          }
        }
      }
      super.add(obj);
    }
  }
  return { Encoder, Decoder: CountingDecoder };
}
