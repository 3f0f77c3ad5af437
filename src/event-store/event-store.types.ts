/** What every event carries besides its data. */
export interface EventMetadata {
  eventId: string;
  /** The request or session the event belongs to. */
  correlationId: string;
  /** The command or event that caused it. */
  causationId: string;
}

export interface NewEvent<Data = unknown> {
  streamId: string;
  type: string;
  data: Data;
  metadata: EventMetadata;
  schemaVersion?: number;
}

/** An event with the stream version its single writer assigned (see appendBatch). */
export interface VersionedNewEvent<Data = unknown> extends NewEvent<Data> {
  streamVersion: number;
}

export interface RecordedEvent<Data = unknown> {
  /** Global position, a bigint as a decimal string (it outgrows JS numbers in theory, not in practice). */
  globalPosition: string;
  streamId: string;
  streamVersion: number;
  type: string;
  schemaVersion: number;
  data: Data;
  metadata: EventMetadata;
  recordedAt: Date;
  /** The writing transaction's id (xid8), as a decimal string. */
  transactionId: string;
}

/**
 * Where a consumer stopped. Compared as a pair: events are read in
 * (transaction id, global position) order, never by position alone.
 */
export interface Checkpoint {
  transactionId: string;
  globalPosition: string;
}

export const START_OF_ALL: Checkpoint = { transactionId: '0', globalPosition: '0' };

export type ExpectedVersion = number | 'any';
