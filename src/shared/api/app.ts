import { z } from 'zod';
import { ApiErrorBody, defineChannels, defineTopics } from '../contract.js';

/** A long-running piece of work (sync, analysis, export): started by a feature channel, followed on `jobs.update`. */
export const JobState = z.enum(['running', 'succeeded', 'failed', 'cancelled']);
export const JobInfo = z.object({
  id: z.string(),
  kind: z.string(),
  state: JobState,
  /** 0..1, or null while the job cannot tell. */
  progress: z.number().min(0).max(1).nullable(),
  message: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** The job's result once it succeeded (capped: see `truncated`). */
  result: z.unknown().optional(),
  /** True when the result was cut to the cap (arrays / `rows`). */
  truncated: z.boolean(),
  error: ApiErrorBody.nullable(),
});
export type JobInfo = z.infer<typeof JobInfo>;

export const JobId = z.object({ jobId: z.string().min(1).max(100) });

export const appChannels = defineChannels({
  'app.info': {
    description: 'Version and runtime of the core (desktop or web).',
    input: z.object({}),
    output: z.object({
      name: z.string(),
      version: z.string(),
      runtime: z.enum(['electron', 'web']),
      platform: z.string(),
      /** False where the OS offers no keychain: credentials are then kept with a weaker local key (the UI warns). */
      secureStorage: z.boolean(),
    }),
  },
  'jobs.list': {
    description: 'Running and recently finished jobs, newest first.',
    input: z.object({}),
    output: z.array(JobInfo),
  },
  'jobs.get': {
    description: 'One job by id, with its result once finished.',
    input: JobId,
    output: JobInfo,
  },
  'jobs.cancel': {
    description: 'Cancel a running job (its AbortSignal fires); false when it already finished.',
    input: JobId,
    output: z.object({ cancelled: z.boolean() }),
  },
});

export const appTopics = defineTopics({
  /** Every change of a job: start, progress, end. */
  'jobs.update': JobInfo,
});
