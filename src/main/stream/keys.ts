/**
 * Redis names used by the system, for both kinds of Redis (README "Configuration", docs/realtime.md "Redis names");
 * a prefix isolates tests and several deployments on one Redis.
 *
 * On a single Redis the names are the seed's (`uis:events`, channel `user_context`). On a Redis Cluster
 * (UIS_REDIS_CLUSTER=1) they carry the hash tag `{uis}`: the relay's script writes the stream, publishes on the
 * channel and updates the in-flight hash in one EVAL, and a cluster runs a script only when all its keys hash to one
 * slot (else CROSSSLOT). The channel is in the script's keys too, so the relay could move to sharded pub/sub (SPUBLISH,
 * whose channel is slotted like a key) without renaming anything.
 */
export interface StreamKeys {
  stream: string;
  channel: string;
  /** Hash of outbox seqs published but not yet deleted from PostgreSQL: makes a relay retry publish nothing twice. */
  inflight: string;
  /** Channel on which the profile builder (and forget) announce changed profiles ({users: [...]}); context caches listen. */
  profileChanged: string;
}

/** The names under `prefix`, for a Redis Cluster (hash-tagged) or a single Redis (the seed's names). */
export function streamKeys(prefix = '', cluster = false): StreamKeys {
  if (cluster) {
    // The prefix stays in front (ACL key patterns such as ~prefix* keep working); config refuses braces in it, so the
    // tag is always `{uis}` and every name of a deployment lands in one slot.
    return {
      stream: `${prefix}{uis}:events`,
      channel: `${prefix}{uis}:user_context`,
      inflight: `${prefix}{uis}:outbox:inflight`,
      profileChanged: `${prefix}{uis}:profile-changed`,
    };
  }
  return {
    stream: `${prefix}uis:events`,
    channel: `${prefix}user_context`,
    inflight: `${prefix}uis:outbox:inflight`,
    profileChanged: `${prefix}uis:profile-changed`,
  };
}

/** The names for a connection: hash-tagged when it is a Cluster (so names and connection can never disagree). */
export function keysFor(redis: { isCluster: boolean }, prefix = ''): StreamKeys {
  return streamKeys(prefix, redis.isCluster);
}
