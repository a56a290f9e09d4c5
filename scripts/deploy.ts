/**
 * `npm run deploy -- --project P --region R`: builds, deploys ingest,
 * archive and notify as Cloud Run functions (gen2), lets the push identity
 * invoke archive and notify, reads their URLs, provisions Pub/Sub to push
 * there with OIDC tokens, and grants the Pub/Sub service agent what
 * dead-lettering needs. `--dry-run` prints the exact commands instead.
 * https://cloud.google.com/functions/docs/deploy
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PubSub } from '@google-cloud/pubsub';
import { runMain } from './lib/args.js';
import {
  audienceCommand,
  deployCommand,
  describeCommand,
  invokerCommand,
  parseDeployArgs,
  provisionArgv,
} from './lib/deploy-plan.js';
import { deployScript } from './lib/deploy-steps.js';
import { gcloud, projectNumber, shellLine } from './lib/gcloud.js';
import { REPO_ROOT } from './lib/local-run.js';
import { bindingLines, provision } from './lib/provision.js';
import { parseProvisionArgs } from './lib/provision-plan.js';

const USAGE = `usage: npm run deploy -- --project P --region R [options]

  --topic NAME               main topic (personnages)
  --push-service-account E   push identity (relais-push@P.iam.gserviceaccount.com)
  --secret fn:VAR=name:ver   a Secret Manager secret as an environment
                             variable, repeatable (default:
                             ingest:INGEST_API_KEYS=relais-ingest-api-keys:latest,
                             archive:ARCHIVE_API_KEY=relais-archive-api-key:latest)
  --dry-run                  print the commands, run nothing

Prerequisites (once per project) are in docs/deploy.md.`;

async function main(): Promise<void> {
  const args = parseDeployArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return;
  }
  if (args.dryRun) {
    console.log(deployScript(args));
    return;
  }
  const step = (line: string) => console.error(`\n$ ${line}`);
  const run = async (a: string[]) => {
    step(shellLine('gcloud', a));
    return gcloud(a);
  };

  step('npm run build');
  await promisify(execFile)('npm', ['run', 'build'], { cwd: REPO_ROOT });
  const number = await projectNumber(args.project);
  for (const fn of ['ingest', 'archive', 'notify'] as const) {
    await run(deployCommand(args, fn));
  }
  for (const fn of ['archive', 'notify'] as const) {
    await run(audienceCommand(args, fn));
    await run(invokerCommand(args, fn));
  }
  const urls = {
    archive: await run(describeCommand(args, 'archive')),
    notify: await run(describeCommand(args, 'notify')),
  };

  const provisionArgs = parseProvisionArgs(provisionArgv(args, urls));
  step(`npm run provision -- ${provisionArgv(args, urls).join(' ')}`);
  const pubsub = new PubSub({ projectId: args.project });
  try {
    const report = await provision(
      pubsub,
      { ...provisionArgs, projectNumber: number },
      (line) => console.error(line),
    );
    for (const binding of report.bindings) {
      if (binding.role !== 'roles/run.invoker') await run(binding.grant);
    }
    console.log(bindingLines(report.bindings).join('\n'));
    console.log(`\ningest: ${await run(describeCommand(args, 'ingest'))}`);
  } finally {
    await pubsub.close();
  }
}

runMain(USAGE, main);
