import { Inject, Injectable, Logger } from '@nestjs/common';
import { SETTINGS, Settings } from '../../config/settings';
import { WaypointMetrics } from '../../metrics/waypoint-metrics';

export interface ExportRecord {
  id: number;
  state: 'streaming' | 'finished' | 'aborted';
  startedAt: number;
  batches: number;
  events: number;
}

/** Exports remembered after they end (for operators and tests). */
const KEEP_ENDED = 50;

/**
 * The exports streaming now and lately, with what they read: bounds concurrent exports,
 * and shows that an export whose client went away stopped reading (its counts stay put).
 */
@Injectable()
export class ExportMonitor {
  private readonly logger = new Logger('MovementExport');
  private nextId = 1;
  private readonly records = new Map<number, ExportRecord>();
  /** Most exports this node streams at once (MAX_CONCURRENT_EXPORTS); each keeps up to two pooled connections busy. */
  readonly maxConcurrent: number;

  constructor(@Inject(SETTINGS) settings: Settings, metrics: WaypointMetrics) {
    this.maxConcurrent = settings.maxConcurrentExports;
    metrics.watch('exportsInFlight', () => this.streaming);
  }

  get streaming(): number {
    let n = 0;
    for (const r of this.records.values()) if (r.state === 'streaming') n++;
    return n;
  }

  get(id: number): ExportRecord | undefined {
    return this.records.get(id);
  }

  latest(): ExportRecord | undefined {
    return this.records.get(this.nextId - 1);
  }

  tryStart(): number | null {
    if (this.streaming >= this.maxConcurrent) return null;
    const id = this.nextId++;
    this.records.set(id, { id, state: 'streaming', startedAt: Date.now(), batches: 0, events: 0 });
    for (const old of this.records.keys()) {
      if (this.records.size <= KEEP_ENDED) break;
      if (this.records.get(old)!.state !== 'streaming') this.records.delete(old);
    }
    return id;
  }

  /** Counted whatever the state: a read after the end would show here. */
  read(id: number, events: number): void {
    const record = this.records.get(id);
    if (!record) return;
    record.batches += 1;
    record.events += events;
  }

  end(id: number, aborted: boolean, why = aborted ? 'export stopped: the client went away' : 'export finished'): void {
    const record = this.records.get(id);
    if (!record || record.state !== 'streaming') return;
    record.state = aborted ? 'aborted' : 'finished';
    const seconds = (Date.now() - record.startedAt) / 1000;
    this.logger.log({
      message: why,
      events: record.events,
      batches: record.batches,
      seconds,
    });
  }
}
