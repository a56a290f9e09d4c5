import type { MiddlewareHandler } from 'hono';
import { presentedApiKeys, secretDigest } from '../core/api-key.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/log.js';
import { problems } from '../core/problem.js';
import {
  githubKeys,
  sameBytes,
  standardWebhookSigners,
  type Verdict,
  verifyGithub,
  verifyStandardWebhook,
} from './signatures.js';

export type AuthConfig = Pick<
  Config,
  | 'ingestApiKeys'
  | 'webhookSecrets'
  | 'githubWebhookSecrets'
  | 'webhookToleranceSeconds'
>;

type Credential = 'api-key' | 'standard-webhooks' | 'github';

/**
 * Who sent an admitted request, as far as idempotency keys are scoped: the
 * kind of credential that admitted it, or `anonymous` when ingest is open.
 * A kind, not the key or secret itself, so that a retry sent after a
 * rotation keeps its scope. With several kinds presented, a Standard
 * Webhooks signature names the sender before a GitHub one, and both before
 * an API key: a captured signed request replayed with an API key added
 * stays in the signer's scope.
 */
export type Principal = 'anonymous' | Credential;

const BY_PRECEDENCE: readonly Credential[] = [
  'standard-webhooks',
  'github',
  'api-key',
];

const REALM = 'realm="relais-ingest"';

/**
 * Who may post to ingest. Each kind of credential is off until configured:
 * API keys (`INGEST_API_KEYS`), Standard Webhooks signatures
 * (`WEBHOOK_SECRETS`), GitHub signatures (`GITHUB_WEBHOOK_SECRETS`).
 * With none configured, ingest is open (the local default; refused in
 * production by `buildIngest`).
 *
 * The rule, "one valid, none invalid": a request is admitted when it
 * presents at least one credential of a configured kind and every
 * credential of a configured kind that it presents is valid. So curl or
 * Make can send an API key while GitHub, which cannot add headers, signs;
 * and a request with a good key and a forged signature is still refused.
 * Credentials of kinds not configured are ignored. Every refusal is a 401
 * with `WWW-Authenticate`, logged with its reason.
 */
export class Authenticator {
  readonly open: boolean;
  private readonly apiKeyDigests: Buffer[];
  private readonly signers;
  private readonly github;
  private readonly challenge: string;
  private readonly expected: string;

  constructor(
    private readonly config: AuthConfig,
    private readonly log: Logger,
    private readonly now: () => Date,
  ) {
    if (!(config.webhookToleranceSeconds >= 0)) {
      throw new RangeError('webhookToleranceSeconds must be a number ≥ 0');
    }
    this.apiKeyDigests = config.ingestApiKeys.map(secretDigest);
    this.signers = standardWebhookSigners(config.webhookSecrets);
    this.github = githubKeys(config.githubWebhookSecrets);
    this.open =
      this.apiKeyDigests.length + this.signers.length + this.github.length ===
      0;
    const challenges: string[] = [];
    const kinds: string[] = [];
    if (this.apiKeyDigests.length > 0) {
      challenges.push(`Bearer ${REALM}`);
      kinds.push('an API key (Authorization: Bearer, or X-API-Key)');
    }
    if (this.signers.length + this.github.length > 0) {
      challenges.push(`Webhook-Signature ${REALM}`);
    }
    if (this.signers.length > 0) kinds.push('a Standard Webhooks signature');
    if (this.github.length > 0) kinds.push('an X-Hub-Signature-256 signature');
    this.challenge = challenges.join(', ');
    this.expected = kinds.join(' or ');
  }

  /**
   * The checks that need no body, as middleware: a missing credential or a
   * wrong API key is refused before a byte of the body is read.
   */
  gate(): MiddlewareHandler {
    return async (c, next) => {
      if (!this.open) this.check(c.req.raw.headers, undefined);
      await next();
    };
  }

  /**
   * The whole decision, over the raw body bytes: the principal of an
   * admitted request; throws a 401 problem otherwise.
   */
  verify(headers: Headers, body: Uint8Array): Principal {
    if (this.open) return 'anonymous';
    const presented = this.check(headers, body);
    return (
      BY_PRECEDENCE.find((kind) => presented.has(kind)) ??
      this.refuse(undefined, 'no credential')
    );
  }

  /** The kinds presented, every one valid (only checked with a body). */
  private check(
    headers: Headers,
    body: Uint8Array | undefined,
  ): Set<Credential> {
    const presented = new Set<Credential>();
    const apiKeys =
      this.apiKeyDigests.length > 0 ? presentedApiKeys(headers) : [];
    for (const key of apiKeys) {
      presented.add('api-key');
      if (!this.knownApiKey(key)) this.refuse('api-key', 'unknown API key');
    }
    const swSignature = headers.get('webhook-signature');
    if (this.signers.length > 0 && swSignature !== null) {
      presented.add('standard-webhooks');
      if (body !== undefined) {
        this.require(
          'standard-webhooks',
          verifyStandardWebhook(
            this.signers,
            {
              id: headers.get('webhook-id') ?? '',
              timestamp: headers.get('webhook-timestamp') ?? '',
              signature: swSignature,
            },
            body,
            Math.floor(this.now().getTime() / 1000),
            this.config.webhookToleranceSeconds,
          ),
        );
      }
    }
    const ghSignature = headers.get('x-hub-signature-256');
    if (this.github.length > 0 && ghSignature !== null) {
      presented.add('github');
      if (body !== undefined) {
        this.require('github', verifyGithub(this.github, ghSignature, body));
      }
    }
    // Every credential presented was verified or refused above.
    if (presented.size === 0) this.refuse(undefined, 'no credential');
    return presented;
  }

  private knownApiKey(key: string): boolean {
    const digest = secretDigest(key);
    let known = false;
    for (const expected of this.apiKeyDigests) {
      if (sameBytes(digest, expected)) known = true;
    }
    return known;
  }

  private require(credential: Credential, verdict: Verdict): void {
    if (!verdict.ok) this.refuse(credential, verdict.reason);
  }

  private refuse(credential: Credential | undefined, reason: string): never {
    this.log.warn(
      { decision: 'unauthenticated', credential: credential ?? 'none', reason },
      'request refused: not authenticated',
    );
    const detail =
      credential === undefined
        ? `Send ${this.expected}.`
        : `The ${credential} credential is not valid: ${reason}.`;
    throw problems.unauthorized(detail, this.challenge);
  }
}
