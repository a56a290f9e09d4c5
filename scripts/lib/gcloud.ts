import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Runs `gcloud` with `args` (no shell: arguments are never re-parsed) and
 * returns its trimmed standard output. The error names the command; its
 * standard error is included, which gcloud fills with the reason.
 */
export async function gcloud(
  args: readonly string[],
  options: { timeoutMs?: number } = {},
): Promise<string> {
  try {
    const { stdout } = await run('gcloud', [...args], {
      timeout: options.timeoutMs ?? 30 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout.trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim() ?? '';
    throw new Error(
      `gcloud ${args.slice(0, 3).join(' ')} failed: ${stderr || (err as Error).message}`,
    );
  }
}

/** The project number, which names the Pub/Sub service agent. */
export function projectNumber(project: string): Promise<string> {
  return gcloud(projectNumberCommand(project));
}

export function projectNumberCommand(project: string): string[] {
  return ['projects', 'describe', project, '--format=value(projectNumber)'];
}

/**
 * A command line as a person would paste it into bash: each argument
 * quoted if needed; `${NAME}` is left for the shell to expand.
 */
export function shellLine(command: string, args: readonly string[]): string {
  const quote = (a: string) =>
    /^([A-Za-z0-9_./:=@,+%-]|\$\{[A-Z_]+\})+$/.test(a)
      ? a
      : `'${a.replace(/'/g, `'\\''`)}'`;
  return [command, ...args].map(quote).join(' ');
}
