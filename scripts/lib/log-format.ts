/** Fields every line carries that say nothing to a person at a terminal. */
const NOISE = new Set([
  'severity',
  'message',
  'level',
  'time',
  'timestamp',
  'pid',
  'hostname',
  'serviceContext',
]);

/**
 * Renders one Cloud Logging JSON line for a terminal:
 * `17:35:30.440 INFO  push archived eventId=… messageId=2`. Lines that are
 * not such JSON pass through unchanged. The functions keep writing JSON;
 * only `npm start` shows it this way (`--json-logs` shows it raw).
 */
export function humanLogLine(line: string, now = new Date()): string {
  if (!line.startsWith('{')) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry.severity !== 'string') return line;
  const fields = Object.entries(entry)
    .filter(
      ([key, value]) =>
        !NOISE.has(key) &&
        !key.startsWith('logging.googleapis.com/') &&
        value !== undefined,
    )
    .map(([key, value]) => `${key}=${render(value)}`);
  const clock = timeOf(entry.timestamp) ?? now;
  return [
    clock.toISOString().slice(11, 23),
    entry.severity.padEnd(7),
    String(entry.message ?? ''),
    ...fields,
  ].join(' ');
}

function render(value: unknown): string {
  if (typeof value === 'string') {
    return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  }
  return JSON.stringify(value);
}

/** Cloud Logging's `{seconds, nanos}` timestamp, as pino's config writes it. */
function timeOf(value: unknown): Date | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
  if (typeof seconds !== 'number') return undefined;
  return new Date(
    seconds * 1000 + (typeof nanos === 'number' ? nanos / 1e6 : 0),
  );
}

/**
 * The message of a warning that notify repeats for every push while a
 * subscriber fails (`decision=delivery-failed`), else undefined: other
 * warnings, a 422's details say, are each worth reading.
 */
export function repeatedWarning(line: string): string | undefined {
  if (!line.startsWith('{"severity":"WARNING"')) return undefined;
  try {
    const { message, decision } = JSON.parse(line) as Record<string, unknown>;
    return decision === 'delivery-failed' && typeof message === 'string'
      ? message
      : undefined;
  } catch {
    return undefined;
  }
}
