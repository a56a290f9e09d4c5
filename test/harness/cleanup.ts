import { onTestFinished } from 'vitest';

const fileCleanups: (() => Promise<void>)[] = [];

/**
 * Runs `fn` when the current test finishes or, when called outside a test
 * (in `beforeAll`, say), when the test file finishes (see setup.ts).
 * Cleanups run even when the test fails.
 */
export function defer(fn: () => Promise<void> | void): void {
  const run = async () => {
    await fn();
  };
  try {
    onTestFinished(run);
  } catch {
    // Not inside a test: the file's afterAll runs it.
    fileCleanups.push(run);
  }
}

/** Runs the file-level cleanups, last registered first. */
export async function runFileCleanups(): Promise<void> {
  const errors: unknown[] = [];
  while (fileCleanups.length > 0) {
    const fn = fileCleanups.pop();
    try {
      await fn?.();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) {
    throw new AggregateError(errors, 'cleanup after the test file failed');
  }
}
