/** Redis names used by the system; a prefix isolates tests and several deployments on one Redis. */
export interface StreamKeys {
  stream: string;
  channel: string;
  /** Hash of outbox seqs published but not yet deleted from PostgreSQL: makes a relay retry publish nothing twice. */
  inflight: string;
}

export function streamKeys(prefix = ''): StreamKeys {
  return {
    stream: `${prefix}uis:events`,
    channel: `${prefix}user_context`,
    inflight: `${prefix}uis:outbox:inflight`,
  };
}
