import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { Context } from 'aws-lambda';
import { ZodError, type z } from 'zod';
import { InvalidInputError } from '../domain/errors';
import { describeIssues } from '../domain/inbound/format';
import { logger, metrics, tracer } from './powertools';

/** The Powertools chain every function shares, outermost first: tracer → logger → metrics. */
export function powertoolsHandler<TEvent, TResult>(handler: (event: TEvent, context: Context) => Promise<TResult>) {
  return middy<TEvent, TResult>(handler)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

/** A workflow task: the Powertools chain plus zod parsing of the state the ASL passes in. */
export function workflowTask<TSchema extends z.ZodType, TResult>(
  schema: TSchema,
  handler: (input: z.infer<TSchema>, context: Context) => Promise<TResult>,
) {
  return powertoolsHandler<z.infer<TSchema>, TResult>(handler).use(namedParseErrors).use(parser({ schema }));
}

/** Powertools' ParseError says only "Failed to parse schema": rethrow it as the named error that names the fields. */
const namedParseErrors: middy.MiddlewareObj = {
  onError: (request) => {
    const cause = request.error?.cause;
    // The cause is the ZodError, or (Powertools 2.x) its issues.
    const issues =
      cause instanceof ZodError ? cause.issues : Array.isArray(cause) ? (cause as z.core.$ZodIssue[]) : undefined;
    if (request.error?.name === 'ParseError' && issues)
      request.error = new InvalidInputError(`Invalid input: ${describeIssues(new ZodError(issues))}`, {
        cause: request.error,
      });
  },
};
