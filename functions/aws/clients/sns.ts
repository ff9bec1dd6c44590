import { SNSClient } from '@aws-sdk/client-sns';
import { tracer } from '../../platform/powertools';

// One client per service per function, created at module load and reused across invocations.
// Endpoint and region come from the SDK's standard configuration (AWS_REGION, AWS_ENDPOINT_URL...).
export const sns = tracer.captureAWSv3Client(new SNSClient({}));

/**
 * For Publish: a standard topic does not deduplicate, so the SDK re-sending a Publish whose reply
 * was lost (a 5xx after SNS accepted it) would page twice. One attempt; notifications.ts decides.
 */
export const snsOneAttempt = tracer.captureAWSv3Client(new SNSClient({ maxAttempts: 1 }));
