import { randomUUID } from 'node:crypto';
import { EventMetadata } from '../event-store';

/** Metadata for an event caused by `causationId` within the conversation `correlationId`. */
export function eventMetadata(correlationId: string, causationId: string = correlationId): EventMetadata {
  return { eventId: randomUUID(), correlationId, causationId };
}
