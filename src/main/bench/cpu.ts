/**
 * CPU time spent by this Node process, the local PostgreSQL and Redis server processes and the whole machine between
 * two snapshots (Linux /proc; elsewhere only this process is measured). A benchmark that shares the machine's cores
 * with the system it measures reads its own limits from this: which process the cycles went to, per unit of work.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSnapshot {
  /** Seconds, since boot (processes) or process start (node). */
  node: number;
  postgres: number | null;
  redis: number | null;
  machineBusy: number | null;
}

const TICK = 100; // USER_HZ on Linux

function readSafe(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** A process's command name and CPU seconds from /proc/<pid>/stat: its own, and its reaped children's; null if gone. */
export function processStat(pid: number | string): { comm: string; seconds: number; childrenSeconds: number } | null {
  const stat = readSafe(`/proc/${pid}/stat`);
  if (!stat) return null;
  const close = stat.lastIndexOf(')');
  const f = stat.slice(close + 2).split(' '); // utime, stime, cutime, cstime: fields 14-17 of stat
  return { comm: stat.slice(stat.indexOf('(') + 1, close), seconds: (Number(f[11]) + Number(f[12])) / TICK, childrenSeconds: (Number(f[13]) + Number(f[14])) / TICK };
}

/**
 * CPU of every process whose command name starts with `prefix`: its own and that of its children it has reaped. A
 * PostgreSQL backend that exits between two snapshots moves its CPU from its own counters into the postmaster's
 * children counters, so the sum never drops (counting only live processes made a door that closed its pool read
 * negative).
 */
function processSeconds(prefix: string): number | null {
  let dirs: string[];
  try {
    dirs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  let seconds = 0;
  for (const pid of dirs) {
    const p = processStat(pid);
    if (p?.comm.startsWith(prefix)) seconds += p.seconds + p.childrenSeconds;
  }
  return seconds;
}

function machineBusySeconds(): number | null {
  const stat = readSafe('/proc/stat');
  if (!stat) return null;
  const [, user, nice, system, , , irq, softirq, steal] = stat.split('\n')[0].trim().split(/\s+/).map(Number);
  return (user + nice + system + irq + softirq + steal) / TICK;
}

export function cpuSnapshot(): CpuSnapshot {
  const u = process.cpuUsage();
  return {
    node: (u.user + u.system) / 1e6,
    postgres: processSeconds('postgres'),
    redis: processSeconds('redis-server'),
    machineBusy: machineBusySeconds(),
  };
}

/**
 * CPU microseconds per unit of work between two snapshots, per process group, e.g. "Node 14.1, PostgreSQL 22.3 …";
 * `extra` adds CPU seconds measured elsewhere (another process reporting its own), by label.
 */
export function cpuPerUnit(before: CpuSnapshot, after: CpuSnapshot, units: number, extra: Record<string, number> = {}): string {
  const part = (label: string, a: number | null, b: number | null) => (a === null || b === null ? null : `${label} ${(((b - a) / units) * 1e6).toFixed(1)}`);
  return [
    part('Node', before.node, after.node),
    ...Object.entries(extra).map(([label, seconds]) => part(label, 0, seconds)),
    part('PostgreSQL', before.postgres, after.postgres),
    part('Redis', before.redis, after.redis),
    part('machine', before.machineBusy, after.machineBusy),
  ]
    .filter(Boolean)
    .join(', ');
}
