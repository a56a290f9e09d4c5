import { afterAll } from 'vitest';
import { runFileCleanups } from './cleanup.js';

// Everything a test file started outside a test (servers, processes,
// topologies registered with `defer`) is released when the file ends.
afterAll(runFileCleanups);
