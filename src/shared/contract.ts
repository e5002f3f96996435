import { z } from 'zod';

/**
 * The API between the core and the renderer: one typed map of channels. Each feature declares its channels in
 * src/shared/api/<feature>.ts with defineChannels(); src/shared/api/index.ts merges them. Both transports (Electron IPC
 * and HTTP POST /rpc/<channel>) and the renderer's client are typed from the merged map, and the preload's allowlist is
 * built from its keys.
 */
export interface ChannelDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  description: string;
}

export type ContractShape = Record<string, ChannelDef>;

export function defineChannels<C extends ContractShape>(channels: C): C {
  return channels;
}

export type ChannelInput<C extends ContractShape, K extends keyof C> = z.input<C[K]['input']>;
export type ChannelOutput<C extends ContractShape, K extends keyof C> = z.infer<C[K]['output']>;

/** Push topics (core → renderer): live events, job progress. Same idea: a schema per topic. */
export type TopicShape = Record<string, z.ZodType>;
export function defineTopics<T extends TopicShape>(topics: T): T {
  return topics;
}

/**
 * A failed call inside the process (dispatch, the IPC bridge) is {code, message}; connection strings are stripped before
 * it leaves the core. Over HTTP it travels in the service's one error envelope, HttpErrorBody.
 */
export const ApiErrorBody = z.object({ code: z.string(), message: z.string() });
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

/** What one call returns over either transport (IPC through the preload's bridge, HTTP /rpc through the client). */
export type RpcResult = { ok: true; value: unknown } | { ok: false; error: ApiErrorBody };

/**
 * The one error envelope of every HTTP route (/v1, /rpc, the workbench's own): {error: code, message}, as docs/capture.md
 * documents for the public API. A 400 may add the fields at fault.
 */
export interface HttpErrorBody {
  error: string;
  message: string;
  issues?: Array<{ path: string; message: string }>;
}
