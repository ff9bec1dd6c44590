import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from '../../platform/powertools';

// One client per function, created at module load; the document client maps plain JS values.
export const dynamoDb = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
