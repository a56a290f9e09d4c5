import type { Hono } from 'hono';

export type FunctionName = 'ingest' | 'archive' | 'notify';

export const FUNCTION_NAMES: readonly FunctionName[] = [
  'ingest',
  'archive',
  'notify',
];

/** A function, wired: its Hono app and how to release what it holds. */
export interface FunctionRuntime {
  app: Hono;
  close(): Promise<void>;
}
