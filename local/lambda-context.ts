import { randomUUID } from 'node:crypto';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';

/** A Lambda-like context for running handlers in-process (tests, local runner). */
export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  const region = process.env.AWS_REGION ?? 'us-east-1';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Locally every function shares one process, so invocations of different functions (and of one
 * function for two incidents) run at the same time. Lambda's multi-concurrency mode is made for
 * that: with AWS_LAMBDA_MAX_CONCURRENCY set, Powertools keeps each invocation's log keys, Lambda
 * context and metrics in the runtime's InvokeStore (AsyncLocalStorage), so each function's log
 * lines carry its own name and incident id. Each local invocation runs in its own store context.
 */
let store: Promise<InvokeStoreBase> | undefined;

function concurrentStore(): Promise<InvokeStoreBase> {
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '1000';
  return InvokeStore.getInstanceAsync(true);
}

export async function invokeLocally<TResult>(
  handler: (event: never, context: Context) => Promise<TResult>,
  event: unknown,
  context: Context,
): Promise<TResult> {
  store ??= concurrentStore();
  const invokeStore = await store;
  return invokeStore.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId }, () =>
    handler(event as never, context),
  );
}
