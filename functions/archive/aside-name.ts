/** `webhook_log.json` → `webhook_log.<tag>-2026-12-03T17-00-00Z<ext>`. */
export function asideName(path: string, tag: string, at: Date, ext: string) {
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
  return `${path.replace(/\.json$/, '')}.${tag}-${stamp}${ext}`;
}
