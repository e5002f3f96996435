import { describe, expect, it } from 'vitest';
import { ConfigError, readEnv } from '../../src/main/config.js';
import { keysFor, streamKeys } from '../../src/main/stream/keys.js';

describe('Redis names for a single Redis and for a Redis Cluster', () => {
  it('keeps the seed names on a single Redis and hash-tags every name on a cluster', () => {
    expect(streamKeys()).toEqual({ stream: 'uis:events', channel: 'user_context', inflight: 'uis:outbox:inflight', profileChanged: 'uis:profile-changed' });
    expect(streamKeys('acme:', true)).toEqual({
      stream: 'acme:{uis}:events',
      channel: 'acme:{uis}:user_context',
      inflight: 'acme:{uis}:outbox:inflight',
      profileChanged: 'acme:{uis}:profile-changed',
    });
    // The connection decides: a Cluster client gets the cluster names, a Redis client the seed names.
    expect(keysFor({ isCluster: true }, 'p:')).toEqual(streamKeys('p:', true));
    expect(keysFor({ isCluster: false }, 'p:')).toEqual(streamKeys('p:'));
  });

  it('UIS_REDIS_CLUSTER takes 1/0 (true/false), and refuses what would split the names over slots', () => {
    expect(readEnv({}).UIS_REDIS_CLUSTER).toBe(false);
    expect(readEnv({ UIS_REDIS_CLUSTER: '1' }).UIS_REDIS_CLUSTER).toBe(true);
    expect(readEnv({ UIS_REDIS_CLUSTER: 'false' }).UIS_REDIS_CLUSTER).toBe(false);
    expect(() => readEnv({ UIS_REDIS_CLUSTER: 'yes' })).toThrow(/UIS_REDIS_CLUSTER: must be 1 \(a Redis Cluster\) or 0/);
    expect(() => readEnv({ UIS_REDIS_CLUSTER: '1', UIS_REDIS_PREFIX: 'a{b}:' })).toThrow(ConfigError);
    expect(() => readEnv({ UIS_REDIS_CLUSTER: '1', UIS_REDIS_PREFIX: 'a{b}:' })).toThrow(/UIS_REDIS_PREFIX: must not contain \{ or \}/);
    expect(() => readEnv({ UIS_REDIS_CLUSTER: '1', REDIS_URL: 'redis://10.0.0.1:6379/2' })).toThrow(/REDIS_URL: a Redis Cluster has database 0 only/);
    // Braces and a database number are fine on a single Redis.
    expect(readEnv({ UIS_REDIS_PREFIX: 'a{b}:', REDIS_URL: 'redis://10.0.0.1:6379/2' }).UIS_REDIS_PREFIX).toBe('a{b}:');
    expect(readEnv({ UIS_REDIS_CLUSTER: '1', REDIS_URL: 'rediss://user:pw@node-1.example.com:6380/0' }).UIS_REDIS_CLUSTER).toBe(true);
  });
});
