import { SSMClient } from '@aws-sdk/client-ssm';
import { tracer } from '../../platform/powertools';

// One client per service per function, created at module load and reused across invocations.
// Endpoint and region come from the SDK's standard configuration (AWS_REGION, AWS_ENDPOINT_URL...).
export const ssm = tracer.captureAWSv3Client(new SSMClient({}));

/**
 * For StartAutomationExecution: idempotent by its ClientToken, but a refusal on its one attempt is
 * the only answer that says nothing was started (the claim is given back then). The state machine
 * retries the task, with the same token.
 */
export const ssmOneAttempt = tracer.captureAWSv3Client(new SSMClient({ maxAttempts: 1 }));
