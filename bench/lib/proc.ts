import { readFile } from 'node:fs/promises';

/**
 * Peak resident set size of a live process, in MiB: `VmHWM` of
 * /proc/<pid>/status (Linux only; undefined elsewhere or once it exited).
 */
export async function peakRssMiB(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) / 1024;
}

/**
 * CPU seconds a process has used so far (user + system, from
 * /proc/<pid>/stat; clock ticks of 1/100 s, the Linux default).
 */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the command name, which may hold spaces, in parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime + stime) ? (utime + stime) / 100 : undefined;
}

/**
 * Busy CPU seconds of the whole machine so far (every core), from the
 * `cpu` line of /proc/stat: all time but idle and iowait.
 */
export async function machineBusySeconds(): Promise<number | undefined> {
  const stat = await readFile('/proc/stat', 'utf8').catch(() => '');
  const ticks = /^cpu\s+(.+)$/m
    .exec(stat)?.[1]
    ?.trim()
    .split(/\s+/)
    .map(Number);
  if (!ticks || ticks.length < 5) return undefined;
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return (total - idle) / 100;
}

/** CPU seconds of this process (the load generator) so far. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * Measures the CPU each process uses while `work` runs, as a share of
 * one core (1.0 = one core busy the whole time), with `other processes`:
 * what the rest of the machine used meanwhile, which competed with them.
 */
export async function cpuShares<T>(
  pids: Record<string, number | undefined>,
  work: () => Promise<T>,
): Promise<{ result: T; cores: Record<string, number> }> {
  const before = new Map<string, number>();
  for (const [name, pid] of Object.entries(pids)) {
    const cpu = pid === undefined ? undefined : await cpuSeconds(pid);
    if (cpu !== undefined) before.set(name, cpu);
  }
  const ownBefore = ownCpuSeconds();
  const machineBefore = await machineBusySeconds();
  const start = performance.now();
  const result = await work();
  const seconds = (performance.now() - start) / 1000;
  const machineAfter = await machineBusySeconds();
  const cores: Record<string, number> = {
    'load generator': (ownCpuSeconds() - ownBefore) / seconds,
  };
  for (const [name, pid] of Object.entries(pids)) {
    const cpu = pid === undefined ? undefined : await cpuSeconds(pid);
    const was = before.get(name);
    if (cpu !== undefined && was !== undefined) {
      cores[name] = (cpu - was) / seconds;
    }
  }
  if (machineBefore !== undefined && machineAfter !== undefined) {
    const ours = Object.values(cores).reduce((a, b) => a + b, 0);
    const busy = (machineAfter - machineBefore) / seconds;
    cores['other processes'] = Math.max(0, busy - ours);
  }
  return { result, cores };
}
