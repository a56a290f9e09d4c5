import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseDeployArgs } from '../../scripts/lib/deploy-plan.js';
import { deployScript } from '../../scripts/lib/deploy-steps.js';

const ARGS = ['--project=relais-demo-123', '--region=europe-west1'];
const AUDIENCE = 'https://europe-west1-relais-demo-123.cloudfunctions.net';

function commands(argv = ARGS): string[] {
  return deployScript(parseDeployArgs(argv))
    .split('\n')
    .filter((line) => !line.startsWith('#'));
}

function deployOf(fn: string, argv = ARGS): string {
  const line = commands(argv).find((l) =>
    l.startsWith(`gcloud functions deploy ${fn} `),
  );
  if (!line) throw new Error(`no deploy command for ${fn}`);
  return line;
}

describe('npm run deploy --dry-run', () => {
  it('builds first, then deploys the three functions as gen2 Node 20', () => {
    const lines = commands();

    expect(lines[0]).toBe('npm run build');
    for (const fn of ['ingest', 'archive', 'notify']) {
      expect(deployOf(fn)).toContain(
        `--gen2 --runtime=nodejs20 --project=relais-demo-123 ` +
          `--region=europe-west1 --source=. --entry-point=${fn} --trigger-http`,
      );
    }
  });

  it('opens ingest to the public and keeps archive and notify private', () => {
    expect(deployOf('ingest')).toContain(' --allow-unauthenticated');
    expect(deployOf('archive')).toContain(' --no-allow-unauthenticated');
    expect(deployOf('notify')).toContain(' --no-allow-unauthenticated');
    expect(deployOf('notify')).toContain(' --max-instances=1');
  });

  it('gives archive and notify OIDC push authentication', () => {
    for (const fn of ['archive', 'notify']) {
      expect(deployOf(fn)).toContain(
        `PUSH_AUTH=oidc,PUSH_AUDIENCE=${AUDIENCE}/${fn},` +
          'PUSH_SERVICE_ACCOUNT=relais-push@relais-demo-123.iam.gserviceaccount.com',
      );
    }
    expect(deployOf('ingest')).not.toContain('PUSH_AUTH');
    expect(deployOf('archive')).toContain('ARCHIVE_STORE=firestore');
  });

  it('passes secrets from Secret Manager, never as values', () => {
    expect(deployOf('ingest')).toContain(
      '--set-secrets=INGEST_API_KEYS=relais-ingest-api-keys:latest',
    );
    expect(deployOf('archive')).toContain(
      '--set-secrets=ARCHIVE_API_KEY=relais-archive-api-key:latest',
    );
    expect(deployOf('notify')).not.toContain('--set-secrets');
    const custom = [
      ...ARGS,
      '--secret=ingest:WEBHOOK_SECRETS=relais-webhook-secrets:3',
    ];
    expect(deployOf('ingest', custom)).toContain(
      '--set-secrets=WEBHOOK_SECRETS=relais-webhook-secrets:3',
    );
  });

  it('reads the URLs and provisions the subscriptions with them', () => {
    const text = commands().join('\n');

    expect(text).toContain(
      'ARCHIVE_URL=$(gcloud functions describe archive --gen2 ' +
        '--project=relais-demo-123 --region=europe-west1 ' +
        "'--format=value(serviceConfig.uri)')",
    );
    expect(text).toContain(
      'npm run provision -- --project=relais-demo-123 --region=europe-west1 ' +
        '--topic=personnages --archive-url="$ARCHIVE_URL" ' +
        `--notify-url="$NOTIFY_URL" --archive-audience=${AUDIENCE}/archive`,
    );
    expect(text).toContain(
      'gcloud functions add-invoker-policy-binding archive ' +
        '--project=relais-demo-123 --region=europe-west1 ' +
        '--member=serviceAccount:relais-push@relais-demo-123.iam.gserviceaccount.com',
    );
    expect(text).toContain(
      'gcloud pubsub topics add-iam-policy-binding personnages-dead-letter ' +
        '--project=relais-demo-123 ' +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax
        '--member=serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com ' +
        '--role=roles/pubsub.publisher',
    );
  });

  it.each([
    ['--region=mars', '--region'],
    ['--secret=db:X=y:latest', '--secret'],
  ])('refuses %s, naming the option', (bad, name) => {
    expect(() => parseDeployArgs([...ARGS, bad])).toThrow(name);
  });

  it('prints the same text from the command line, running nothing', async () => {
    const { stdout } = await promisify(execFile)(
      'node_modules/.bin/tsx',
      ['scripts/deploy.ts', ...ARGS, '--dry-run'],
      { env: { PATH: '/usr/bin:/bin' } },
    );

    expect(stdout.trim()).toBe(deployScript(parseDeployArgs(ARGS)));
  });
});
