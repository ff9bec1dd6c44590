import { AwsThrottledError, AwsTransientError, ScalingActivityInProgress, assertIsError } from '../domain/errors';

const THROTTLING_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

interface SdkErrorShape {
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
  $fault?: 'client' | 'server';
}

/**
 * Maps an AWS SDK error to one of our named errors so the state machine can retry it;
 * anything else is re-thrown unchanged (its SDK name, e.g. ValidationError, reaches Catch).
 * The SDK has already retried (standard mode, 3 attempts) before we get here.
 */
export function toNamedAwsError(error: unknown, operation: string): Error {
  assertIsError(error);
  const sdk = error as Error & SdkErrorShape;
  const status = sdk.$metadata?.httpStatusCode;
  if (sdk.name === 'ScalingActivityInProgress' || sdk.name === 'ScalingActivityInProgressFault') {
    return new ScalingActivityInProgress(`${operation}: ${sdk.message}`, { cause: error });
  }
  if (THROTTLING_NAMES.has(sdk.name) || sdk.$retryable?.throttling === true || status === 429) {
    return new AwsThrottledError(`${operation} throttled: ${sdk.message}`, { cause: error });
  }
  if ((status !== undefined && status >= 500) || sdk.$fault === 'server' || isNetworkError(sdk)) {
    return new AwsTransientError(`${operation} failed transiently: ${sdk.message}`, { cause: error });
  }
  return error;
}

function isNetworkError(error: Error): boolean {
  const code = (error as Error & { code?: string }).code;
  return ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'TimeoutError'].includes(code ?? error.name);
}

/** Runs one AWS call and maps its failure with {@link toNamedAwsError}. */
export async function callAws<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toNamedAwsError(error, operation);
  }
}

/**
 * An AWS answer that says the request was not processed (refused, throttled, invalid): nothing
 * changed. Only when it was the call's one attempt: after a lost reply (a 5xx for a request that
 * went through), the SDK's next attempt may well be refused, and the call has still been made.
 */
export function refusedBeforeChange(error: unknown): boolean {
  type Answer = { $fault?: string; $metadata?: { attempts?: number } };
  const answer = (error as (Answer & { cause?: Answer }) | null) ?? {};
  const fault = answer.$fault ?? answer.cause?.$fault;
  const attempts = answer.$metadata?.attempts ?? answer.cause?.$metadata?.attempts ?? 1;
  return fault === 'client' && attempts <= 1;
}
