import { randomUUID } from 'node:crypto';
import type { JobInfo } from '../../shared/api/app.js';
import { CoreError, toApiError } from './errors.js';

export const DEFAULT_RESULT_CAP = 10_000;
const KEEP_FINISHED = 50;

export interface JobControl {
  /** Fires when the job is cancelled (jobs.cancel or core shutdown). Pass it to queries, fetches, loops. */
  signal: AbortSignal;
  /** Report progress: fraction 0..1 (or null when unknown) and a short human message. */
  progress(fraction: number | null, message?: string): void;
}

export interface StartJobOptions {
  /** Results are capped to this many items (arrays, or an object's `rows` array); `truncated` says so. */
  resultCap?: number;
}

type Listener = (job: JobInfo) => void;

/** Long work as a job: start → id, progress events, cancel via AbortSignal, capped results. */
export class JobRunner {
  private readonly jobs = new Map<string, { info: JobInfo; controller: AbortController; done: Promise<void> }>();

  constructor(private readonly onUpdate: Listener) {}

  start<T>(kind: string, run: (job: JobControl) => Promise<T>, opts: StartJobOptions = {}): string {
    const id = randomUUID();
    const controller = new AbortController();
    const info: JobInfo = {
      id,
      kind,
      state: 'running',
      progress: 0,
      message: 'Starting…',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      truncated: false,
      error: null,
    };
    const emit = () => this.onUpdate({ ...info });
    let lastEmit = 0;
    let trailing: NodeJS.Timeout | null = null;
    const control: JobControl = {
      signal: controller.signal,
      progress: (fraction, message) => {
        if (info.state !== 'running') return;
        info.progress = fraction === null ? null : Math.min(1, Math.max(0, fraction));
        if (message !== undefined) info.message = message;
        // Throttled so a tight loop cannot flood the renderer, but the latest progress always goes out (50 ms later at
        // most): dropped, a step reported just after another would stay unseen while a long one runs.
        const wait = 50 - (Date.now() - lastEmit);
        if (wait <= 0) {
          lastEmit = Date.now();
          emit();
        } else {
          trailing ??= setTimeout(() => {
            trailing = null;
            if (info.state !== 'running') return; // the final state was sent already
            lastEmit = Date.now();
            emit();
          }, wait);
        }
      },
    };
    const done = (async () => {
      try {
        const value = await run(control);
        if (controller.signal.aborted) throw new CoreError('cancelled', 'Cancelled');
        const capped = capResult(value, opts.resultCap ?? DEFAULT_RESULT_CAP);
        Object.assign(info, { state: 'succeeded', progress: 1, result: capped.value, truncated: capped.truncated });
        if (info.message === 'Starting…') info.message = 'Done';
      } catch (err) {
        const error = controller.signal.aborted ? { code: 'cancelled', message: 'Cancelled' } : toApiError(err);
        Object.assign(info, { state: error.code === 'cancelled' ? 'cancelled' : 'failed', error, message: error.message });
      } finally {
        info.finishedAt = new Date().toISOString();
        emit();
        this.prune();
      }
    })();
    this.jobs.set(id, { info, controller, done });
    emit();
    return id;
  }

  get(id: string): JobInfo {
    const job = this.jobs.get(id);
    if (!job) throw new CoreError('not_found', `No job ${id}`);
    return { ...job.info };
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((j) => ({ ...j.info, result: undefined })).reverse();
  }

  cancel(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job) throw new CoreError('not_found', `No job ${id}`);
    if (job.info.state !== 'running') return false;
    job.controller.abort();
    return true;
  }

  /** Resolves when the job has finished (any state); used by tests and the CLI. */
  async wait(id: string): Promise<JobInfo> {
    const job = this.jobs.get(id);
    if (!job) throw new CoreError('not_found', `No job ${id}`);
    await job.done;
    return this.get(id);
  }

  async cancelAll(): Promise<void> {
    for (const job of this.jobs.values()) if (job.info.state === 'running') job.controller.abort();
    await Promise.allSettled([...this.jobs.values()].map((j) => j.done));
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => j.info.state !== 'running');
    for (const j of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(j.info.id);
  }
}

export function capResult(value: unknown, cap: number): { value: unknown; truncated: boolean } {
  if (Array.isArray(value)) return value.length > cap ? { value: value.slice(0, cap), truncated: true } : { value, truncated: false };
  if (value && typeof value === 'object' && Array.isArray((value as { rows?: unknown }).rows)) {
    const rows = (value as { rows: unknown[] }).rows;
    if (rows.length > cap) return { value: { ...value, rows: rows.slice(0, cap) }, truncated: true };
  }
  return { value, truncated: false };
}
