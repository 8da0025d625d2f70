// Pure: /proc/stat, /proc/meminfo and /proc/<pid>/net/dev → numbers, for the node's figures
// when no root cgroup gives them, the boot time, and a pod's network counters.
import type { InterfaceSample } from './types.js';

/** USER_HZ: /proc/stat counts in 1/100 s on every Linux architecture nodelet runs on. */
const NS_PER_TICK = 10_000_000;

export interface ProcStat {
  /** Busy CPU time of all CPUs (everything but idle and iowait), ns. */
  readonly busyNs?: number;
  /** Boot time, s since epoch. */
  readonly btime?: number;
  /** Number of `cpuN` lines. */
  readonly cpus: number;
}

export function parseProcStat(text: string): ProcStat {
  let busyNs: number | undefined;
  let btime: number | undefined;
  let cpus = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'cpu') {
      // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
      const n = f.slice(1, 9).map(Number);
      busyNs = ((n[0] ?? 0) + (n[1] ?? 0) + (n[2] ?? 0) + (n[5] ?? 0) + (n[6] ?? 0) + (n[7] ?? 0)) * NS_PER_TICK;
    } else if (/^cpu\d+$/.test(f[0] ?? '')) cpus++;
    else if (f[0] === 'btime') btime = Number(f[1]);
  }
  return { ...(busyNs !== undefined ? { busyNs } : {}), ...(btime !== undefined && Number.isFinite(btime) ? { btime } : {}), cpus };
}

/** /proc/meminfo in bytes (the kB figures × 1024). */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s+(\d+)(\s+kB)?/.exec(line);
    if (m?.[1] && m[2]) out.set(m[1], Number(m[2]) * (m[3] ? 1024 : 1));
  }
  return out;
}

/** The interfaces of /proc/<pid>/net/dev, without `lo`; `eth0` first (the kubelet's default interface). */
export function parseNetDev(text: string): InterfaceSample[] {
  const out: InterfaceSample[] = [];
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (name === 'lo' || f.length < 16) continue;
    out.push({ name, rxBytes: f[0] ?? 0, rxErrors: f[2] ?? 0, txBytes: f[8] ?? 0, txErrors: f[10] ?? 0 });
  }
  return out.sort((a, b) => (a.name === 'eth0' ? -1 : b.name === 'eth0' ? 1 : a.name.localeCompare(b.name)));
}
