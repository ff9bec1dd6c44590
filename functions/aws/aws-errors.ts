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

/** An AWS answer that says the request was not processed (refused, throttled, invalid): nothing changed. */
export function refusedBeforeChange(error: unknown): boolean {
  const fault = (error as { $fault?: string; cause?: { $fault?: string } } | null) ?? {};
  return (fault.$fault ?? fault.cause?.$fault) === 'client';
}
