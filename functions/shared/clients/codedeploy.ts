import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { tracer } from '../powertools';

// One client per service per function, created at module load and reused across invocations.
// Endpoint and region come from the SDK's standard configuration (AWS_REGION, AWS_ENDPOINT_URL...).
export const codeDeploy = tracer.captureAWSv3Client(new CodeDeployClient({}));
