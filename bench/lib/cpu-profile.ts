import { readFile } from 'node:fs/promises';

/** The parts of a V8 `.cpuprofile` (node --cpu-prof) read here. */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a profile's time went, by self time. */
export interface ProfileSummary {
  /** Sampled seconds the process was not idle. */
  busySeconds: number;
  /** Share of the busy time, by package (or relais file, or Node module). */
  byPackage: [string, number][];
  /** Share of the busy time, by function. */
  byFunction: [string, number][];
}

/** Self time by package and by function, largest first, idle left out. */
export async function summarizeProfile(
  path: string,
  top: number,
): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const { id, callFrame } of profile.nodes) {
    const micros = self.get(id) ?? 0;
    if (callFrame.functionName === '(idle)' || micros === 0) continue;
    busy += micros;
    const where = shortUrl(callFrame.url);
    const fn = `${callFrame.functionName || '(anonymous)'} ${where}:${callFrame.lineNumber + 1}`;
    add(byPackage, packageOf(callFrame.url, where), micros);
    add(byFunction, fn, micros);
  }
  const shares = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, t]): [string, number] => [name, t / busy]);
  return {
    busySeconds: busy / 1e6,
    byPackage: shares(byPackage),
    byFunction: shares(byFunction),
  };
}

function add(map: Map<string, number>, key: string, micros: number): void {
  map.set(key, (map.get(key) ?? 0) + micros);
}

/** A frame's file, from node_modules or the repository; `(native)` if none. */
function shortUrl(url: string): string {
  if (url === '') return '(native)';
  return url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, '')
    .replace(/.*\/(dist\/)?(functions|bench|scripts)\//, '$2/');
}

function packageOf(url: string, where: string): string {
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (where.startsWith('functions/')) return where;
  return where.startsWith('node:') ? 'node (built-in modules)' : where;
}
