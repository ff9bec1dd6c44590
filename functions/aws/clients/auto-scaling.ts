import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { tracer } from '../../platform/powertools';

// One client per service per function, created at module load and reused across invocations.
// Endpoint and region come from the SDK's standard configuration (AWS_REGION, AWS_ENDPOINT_URL...).
export const autoScaling = tracer.captureAWSv3Client(new AutoScalingClient({}));

/**
 * For the mutating calls: SetDesiredCapacity takes an absolute value, so the SDK re-sending it
 * seconds later (after a 5xx, a lost reply) could undo a scale-out Auto Scaling made meanwhile. One
 * attempt here; the state machine retries the task, whose kernel decides again on the group read then.
 */
export const autoScalingOneAttempt = tracer.captureAWSv3Client(new AutoScalingClient({ maxAttempts: 1 }));
