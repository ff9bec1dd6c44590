import { SQSClient } from '@aws-sdk/client-sqs';
import { tracer } from '../../platform/powertools';

// One client per service per function, created at module load and reused across invocations.
// Endpoint and region come from the SDK's standard configuration (AWS_REGION, AWS_ENDPOINT_URL...).
export const sqs = tracer.captureAWSv3Client(new SQSClient({}));
