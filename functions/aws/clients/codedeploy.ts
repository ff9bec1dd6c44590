import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { tracer } from '../../platform/powertools';

// One client per service per function, created at module load and reused across invocations.
// Endpoint and region come from the SDK's standard configuration (AWS_REGION, AWS_ENDPOINT_URL...).
export const codeDeploy = tracer.captureAWSv3Client(new CodeDeployClient({}));

/**
 * For the mutating calls (CreateDeployment, StopDeployment): CreateDeployment is not idempotent,
 * and the SDK retries a 5xx on its own, so a reply lost after the deployment was created would
 * deploy twice. One attempt here; the state machine retries the task, whose kernel reads what the
 * earlier attempt did (its deployment by description, a stopped deployment's status).
 */
export const codeDeployOneAttempt = tracer.captureAWSv3Client(new CodeDeployClient({ maxAttempts: 1 }));
