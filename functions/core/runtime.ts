import type { Hono } from 'hono';

export type FunctionName = 'ingest' | 'archive' | 'notify';

export const FUNCTION_NAMES: readonly FunctionName[] = [
  'ingest',
  'archive',
  'notify',
];

/** The variable that sets each function's local port. */
export const PORT_VARIABLE: Record<FunctionName, string> = {
  ingest: 'INGEST_PORT',
  archive: 'ARCHIVE_PORT',
  notify: 'NOTIFY_PORT',
};

/**
 * What to say when an address cannot be listened on (not this machine's,
 * or a name that does not resolve): `where` as the reader knows it, and
 * the setting to change.
 */
export function cannotListen(
  where: string,
  code: string | undefined,
  setting: string,
): string {
  return (
    `cannot listen on ${where} (${code}): ` +
    `set ${setting} to an address of this machine`
  );
}

/** A function, wired: its Hono app and how to release what it holds. */
export interface FunctionRuntime {
  app: Hono;
  close(): Promise<void>;
}
