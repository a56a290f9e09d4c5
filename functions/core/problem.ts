import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { Logger } from './log.js';

/** One bad field of a request: where it is and what is wrong with it. */
export interface FieldError {
  path: string;
  message: string;
}

/** The body of every error answer, per RFC 9457 (problem details). */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * An error that is an answer: its status, a stable `type` (a URN naming the
 * cause), a human title and detail, and optionally the bad fields and extra
 * headers (`Allow`, `Retry-After`, `WWW-Authenticate`). Thrown anywhere in a
 * handler, it is turned into a response by `onError` below.
 */
export class Problem extends Error {
  readonly status: ContentfulStatusCode;
  readonly type: string;
  readonly title: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    slug: string,
    title: string,
    detail: string,
    extra: {
      errors?: FieldError[];
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(detail, { cause: extra.cause });
    this.name = 'Problem';
    this.status = status;
    this.type = `urn:relais:problem:${slug}`;
    this.title = title;
    this.errors = extra.errors;
    this.headers = extra.headers ?? {};
  }

  toBody(): ProblemBody {
    const body: ProblemBody = {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.message,
    };
    if (this.errors) body.errors = this.errors;
    return body;
  }
}

/** The field errors of a failed zod parse, with dotted paths. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)',
    message: issue.message,
  }));
}

export const problems = {
  malformedJson: (cause?: unknown) =>
    new Problem(
      400,
      'malformed-json',
      'Malformed JSON',
      'The body is not valid JSON.',
      {
        cause,
      },
    ),
  validation: (detail: string, errors: FieldError[]) =>
    new Problem(422, 'validation', 'Validation failed', detail, { errors }),
  unauthorized: (detail: string, challenge: string) =>
    new Problem(401, 'unauthorized', 'Unauthorized', detail, {
      headers: { 'WWW-Authenticate': challenge },
    }),
  notFound: (path: string) =>
    new Problem(404, 'not-found', 'Not found', `No route for ${path}.`),
  methodNotAllowed: (method: string, allow: readonly string[]) =>
    new Problem(
      405,
      'method-not-allowed',
      'Method not allowed',
      `${method} is not allowed here; use ${allow.join(', ')}.`,
      { headers: { Allow: allow.join(', ') } },
    ),
  unavailable: (detail: string, retryAfterSeconds: number, cause?: unknown) =>
    new Problem(503, 'unavailable', 'Service unavailable', detail, {
      headers: { 'Retry-After': String(retryAfterSeconds) },
      cause,
    }),
  internal: (cause?: unknown) =>
    new Problem(
      500,
      'internal',
      'Internal error',
      'The request could not be completed; it is safe to retry.',
      { cause },
    ),
};

/** Writes a problem as an `application/problem+json` response. */
export function problemResponse(problem: Problem): Response {
  return new Response(JSON.stringify(problem.toBody()), {
    status: problem.status,
    headers: { ...problem.headers, 'Content-Type': PROBLEM_CONTENT_TYPE },
  });
}

/**
 * The one place errors become answers. A `Problem` is answered as it is; a
 * Hono `HTTPException` (body limit, for instance) keeps its status; anything
 * else is a 500 whose cause is logged and never sent.
 */
export function onError(log: Logger) {
  return (err: Error, c: Context): Response => {
    const problem = toProblem(err);
    const fields = {
      decision: 'rejected',
      status: problem.status,
      method: c.req.method,
      path: c.req.path,
    };
    if (problem.status >= 500) {
      log.error({ ...fields, err: problem.cause ?? err }, problem.message);
    } else {
      log.warn({ ...fields, problem: problem.type }, problem.message);
    }
    return problemResponse(problem);
  };
}

function toProblem(err: Error): Problem {
  if (err instanceof Problem) return err;
  if (err instanceof HTTPException) {
    if (err.status === 413) {
      return new Problem(413, 'too-large', 'Payload too large', err.message);
    }
    const status = err.status as ContentfulStatusCode;
    return new Problem(status, 'http', err.message || 'Error', err.message, {
      cause: err,
    });
  }
  return problems.internal(err);
}

/**
 * A route table for one app: path pattern (`/subscribe/:id` style) to the
 * methods it allows. A request to a known path with another method gets 405
 * and `Allow`; an unknown path gets 404.
 */
export function notFound(routes: Record<string, readonly string[]>) {
  const table = Object.entries(routes).map(([pattern, allow]) => ({
    match: new RegExp(`^${pattern.replace(/:[^/]+/g, '[^/]+')}/?$`),
    allow,
  }));
  return (c: Context): Response => {
    const route = table.find((r) => r.match.test(c.req.path));
    // A path the pattern only loosely matches (a trailing slash) with an
    // allowed method is a path we do not serve, not a wrong method.
    if (route && !route.allow.includes(c.req.method)) {
      return problemResponse(
        problems.methodNotAllowed(c.req.method, route.allow),
      );
    }
    return problemResponse(problems.notFound(c.req.path));
  };
}
