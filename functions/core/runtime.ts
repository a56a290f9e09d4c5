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

/** A function, wired: its Hono app and how to release what it holds. */
export interface FunctionRuntime {
  app: Hono;
  close(): Promise<void>;
}
