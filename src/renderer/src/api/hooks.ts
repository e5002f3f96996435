import { useCallback, useEffect, useRef, useState } from 'react';
import type { ChannelName, Contract, TopicName } from '../../../shared/api/index.js';
import type { ChannelInput, ChannelOutput } from '../../../shared/contract.js';
import { invoke, invokePrefetched, RpcError, subscribe, type TopicPayload } from './client.js';

export interface RpcState<T> {
  data: T | undefined;
  error: RpcError | undefined;
  loading: boolean;
  /** Runs the call again (after a sync, a workspace switch…). */
  reload(): void;
}

/**
 * Calls a channel and re-calls it whenever the input changes (compared as JSON). Late answers of an older input are
 * dropped, so a fast filter change never shows stale numbers. Pass `null` as input to skip the call.
 */
export function useRpc<K extends ChannelName>(channel: K, input: ChannelInput<Contract, K> | null, deps: unknown[] = []): RpcState<ChannelOutput<Contract, K>> {
  const [state, setState] = useState<{ data?: ChannelOutput<Contract, K>; error?: RpcError; loading: boolean }>({ loading: input !== null });
  const [nonce, setNonce] = useState(0);
  const key = JSON.stringify(input);
  const seq = useRef(0);
  useEffect(() => {
    if (input === null) return;
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    // The first call of a page may already be in flight (boot.ts prefetch).
    invokePrefetched(channel, input).then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (error: unknown) =>
        mine === seq.current &&
        setState((s) => ({ data: s.data, error: error instanceof RpcError ? error : new RpcError('internal', String(error)), loading: false })),
    );
  }, [channel, key, nonce, ...deps]);
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Subscribes to a push topic for the component's lifetime. */
export function useTopic<T extends TopicName>(topic: T, callback: (payload: TopicPayload<T>) => void): void {
  const latest = useRef(callback);
  latest.current = callback;
  useEffect(() => subscribe(topic, (p) => latest.current(p)), [topic]);
}

type Job = TopicPayload<'jobs.update'>;

/** Follows one job: its latest state from jobs.update (and jobs.get once, in case an update was missed). */
export function useJob(jobId: string | null): Job | null {
  const [job, setJob] = useState<Job | null>(null);
  useTopic('jobs.update', (j) => {
    if (j.id === jobId) setJob(j);
  });
  useEffect(() => {
    setJob(null);
    if (!jobId) return;
    let stale = false;
    invoke('jobs.get', { jobId }).then(
      (j) => !stale && setJob((cur) => cur ?? j),
      () => {},
    );
    return () => {
      stale = true;
    };
  }, [jobId]);
  return job;
}
