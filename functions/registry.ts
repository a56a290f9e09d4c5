import { buildArchive } from './archive/index.js';
import type { Config } from './core/config.js';
import type { FunctionName, FunctionRuntime } from './core/runtime.js';
import { buildIngest } from './ingest/index.js';
import { buildNotify } from './notify/index.js';

/** The composition root of each function, by functions-framework target. */
export const builders: Record<
  FunctionName,
  (config: Config) => Promise<FunctionRuntime>
> = {
  ingest: buildIngest,
  archive: buildArchive,
  notify: buildNotify,
};
