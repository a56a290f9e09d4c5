import {
  createRemoteJWKSet,
  errors,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';

/**
 * Where Google publishes the keys that sign its ID tokens, Pub/Sub's push
 * tokens among them.
 * https://developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken
 */
export const GOOGLE_JWKS_URI = 'https://www.googleapis.com/oauth2/v3/certs';

/** Both spellings Google uses for the `iss` of its ID tokens. */
export const GOOGLE_ISSUERS = [
  'https://accounts.google.com',
  'accounts.google.com',
];

/** Finds the public key for a token header: remote in production. */
export type KeySource = JWTVerifyGetKey;

/**
 * Google's signing keys, fetched on first use and cached by `jose` (it
 * refetches when a token names a key it does not know, at most every 30 s,
 * so Google's key rotation needs no restart).
 */
export function googleKeys(): KeySource {
  return createRemoteJWKSet(new URL(GOOGLE_JWKS_URI), {
    timeoutDuration: 5_000,
    cooldownDuration: 30_000,
  });
}

export interface PushTokenPolicy {
  /** The `aud` the subscription's `oidcToken.audience` puts in tokens. */
  audience: string;
  /** The subscription's `oidcToken.serviceAccountEmail`. */
  serviceAccount: string;
  keys: KeySource;
  /** The clock; tests move it. */
  now?: () => Date;
}

/**
 * What a push's bearer token proves: `ok` with the pushing identity,
 * `invalid` (401: not a token Google signed for us, or expired),
 * `forbidden` (403: Google signed it, for another identity), or
 * `unavailable` (503: the keys could not be fetched; not the sender's
 * fault, and Pub/Sub retries).
 */
export type TokenVerdict =
  | { kind: 'ok'; email: string }
  | { kind: 'invalid' | 'forbidden' | 'unavailable'; reason: string };

/**
 * Verifies a Pub/Sub push token as Google asks: RS256 signature by one of
 * Google's keys, `iss`, `aud`, `exp` (60 s of clock skew allowed), then
 * `email` and `email_verified` against the configured service account.
 * https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions#validate_tokens
 */
export async function verifyPushToken(
  token: string,
  policy: PushTokenPolicy,
): Promise<TokenVerdict> {
  let claims: Record<string, unknown>;
  try {
    const { payload } = await jwtVerify(token, policy.keys, {
      algorithms: ['RS256'],
      issuer: GOOGLE_ISSUERS,
      audience: policy.audience,
      requiredClaims: ['exp', 'iat'],
      clockTolerance: 60,
      ...(policy.now ? { currentDate: policy.now() } : {}),
    });
    claims = payload;
  } catch (err) {
    return failure(err);
  }
  // Google may return an unverified email for consumer accounts; a service
  // account's is always verified, so anything else is not Pub/Sub's token.
  if (claims.email_verified !== true) {
    return { kind: 'invalid', reason: 'the token email is not verified' };
  }
  const email = typeof claims.email === 'string' ? claims.email : '';
  if (email.toLowerCase() !== policy.serviceAccount.toLowerCase()) {
    return {
      kind: 'forbidden',
      reason: 'the token was issued for another identity',
    };
  }
  return { kind: 'ok', email };
}

function failure(err: unknown): TokenVerdict {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
    return { kind: 'unavailable', reason: 'Google keys could not be read' };
  }
  if (err instanceof errors.JWTExpired) {
    return { kind: 'invalid', reason: 'the token has expired' };
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    return { kind: 'invalid', reason: `the token ${err.claim} is not valid` };
  }
  if (err instanceof errors.JOSEError) {
    return { kind: 'invalid', reason: 'the token is not a valid Google token' };
  }
  // fetch itself failed (DNS, connection): the keys are out of reach.
  return { kind: 'unavailable', reason: 'Google keys could not be read' };
}
