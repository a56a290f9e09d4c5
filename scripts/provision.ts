/**
 * `npm run provision -- --project P --region R --archive-url URL
 * --notify-url URL`: creates or reconciles relais's topic, dead-letter topic
 * and subscriptions on real Pub/Sub (Application Default Credentials), with
 * OIDC push authentication, then checks the IAM bindings it can read and
 * lists the others. `--dry-run` prints every call instead.
 * https://cloud.google.com/pubsub/docs/create-push-subscription
 */
import { PubSub } from '@google-cloud/pubsub';
import { runMain, UsageError } from './lib/args.js';
import { projectNumber } from './lib/gcloud.js';
import { bindingLines, dryRunText, provision } from './lib/provision.js';
import { parseProvisionArgs } from './lib/provision-plan.js';

const USAGE = `usage: npm run provision -- --project P --region R \\
  --archive-url https://... --notify-url https://... [options]

  --project-number N        names the Pub/Sub service agent (else gcloud)
  --topic NAME              main topic (personnages)
  --archive-audience AUD    OIDC audience of archive (its URL)
  --notify-audience AUD     OIDC audience of notify (its URL)
  --push-service-account E  push identity (relais-push@P.iam.gserviceaccount.com)
  --max-delivery-attempts N before dead-lettering (20)
  --ack-deadline S          push timeout, seconds (60)
  --dry-run                 print the calls, change nothing`;

async function main(): Promise<void> {
  const args = parseProvisionArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return;
  }
  if (args.dryRun) {
    console.log(dryRunText(args));
    return;
  }
  if (process.env.PUBSUB_EMULATOR_HOST) {
    throw new UsageError(
      'PUBSUB_EMULATOR_HOST is set: unset it to provision real Pub/Sub ' +
        '(npm run topology applies the topology to an emulator)',
    );
  }
  const number = args.projectNumber ?? (await projectNumber(args.project));
  const pubsub = new PubSub({ projectId: args.project });
  try {
    const report = await provision(
      pubsub,
      { ...args, projectNumber: number },
      (line) => console.log(line),
    );
    console.log(
      ['', ...bindingLines(report.bindings, report.states)].join('\n'),
    );
    // Not a failure: on a first run the subscriptions' bindings cannot
    // exist yet (npm run deploy grants them right after this step).
    if (report.states.some((s) => s.state === 'missing')) {
      console.error('\nsome IAM bindings are missing: grant them as shown');
    }
  } finally {
    await pubsub.close();
  }
}

runMain(USAGE, main);
