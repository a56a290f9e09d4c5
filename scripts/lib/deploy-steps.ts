import { topologyNames } from '../../emulator/topology.js';
import {
  audienceCommand,
  type DeployArgs,
  deployCommand,
  describeCommand,
  invokerCommand,
  provisionArgv,
} from './deploy-plan.js';
import { projectNumberCommand, shellLine } from './gcloud.js';
import { requiredBindings } from './iam-bindings.js';

/**
 * The deployment, step by step, as the commands a person would type: the
 * dry run prints this, and docs/deploy.md follows it. URLs are read into
 * shell variables, so the text runs as it is in bash.
 */
export function deployScript(args: DeployArgs): string {
  const gcloud = (a: string[]) => shellLine('gcloud', a);
  const urls = { archive: '"$ARCHIVE_URL"', notify: '"$NOTIFY_URL"' };
  const names = topologyNames(args.topic);
  const grants = requiredBindings({
    project: args.project,
    // A bash variable, set from `gcloud projects describe` below.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax
    projectNumber: '${PROJECT_NUMBER}',
    region: args.region,
    pushServiceAccount: args.pushServiceAccount,
    deadLetterTopic: names.deadLetterTopic,
    pushSubscriptions: [names.archive, names.notify],
    functions: ['archive', 'notify'],
  }).filter((b) => b.role !== 'roles/run.invoker');
  return [
    `# npm run deploy: project ${args.project}, region ${args.region} (dry run)`,
    '# 1. build locally first, so a type error stops here and not in Cloud Build',
    'npm run build',
    '# 2. the three functions (Cloud Build runs npm run gcp-build again)',
    ...(['ingest', 'archive', 'notify'] as const).map((fn) =>
      gcloud(deployCommand(args, fn)),
    ),
    '# 3. Cloud Run accepts the OIDC audience, the push identity may invoke',
    ...(['archive', 'notify'] as const).flatMap((fn) => [
      gcloud(audienceCommand(args, fn)),
      gcloud(invokerCommand(args, fn)),
    ]),
    '# 4. the deployed URLs, and the number naming the Pub/Sub service agent',
    `ARCHIVE_URL=$(${gcloud(describeCommand(args, 'archive'))})`,
    `NOTIFY_URL=$(${gcloud(describeCommand(args, 'notify'))})`,
    `PROJECT_NUMBER=$(${gcloud(projectNumberCommand(args.project))})`,
    '# 5. topics and subscriptions, pushing to those URLs with OIDC tokens',
    `npm run provision -- ${provisionArgv(args, urls).join(' ')}`,
    '# 6. what dead-lettering and authenticated push need of the service agent',
    ...grants.map((b) => gcloud(b.grant)),
  ].join('\n');
}
