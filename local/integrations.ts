import { DynamoDBClient, UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';

// Step Functions' optimized service integrations that the ASL calls directly (no function in
// between): the state's Parameters are the API request, the response is the result, and a
// service error reaches Retry/Catch as `<Service>.<ErrorCode>` (e.g.
// DynamoDB.ConditionalCheckFailedException), as the Step Functions documentation names them.
// Clients are made on first use, after the sandbox has set the endpoint.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Integration = (parameters: Json) => Promise<Json>;

let dynamoDb: DynamoDBClient | undefined;
let sns: SNSClient | undefined;

async function call(service: string, send: () => Promise<object>): Promise<Json> {
  try {
    const output: { $metadata?: unknown } = { ...(await send()) };
    delete output.$metadata;
    return JSON.parse(JSON.stringify(output)) as Json;
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Unknown';
    throw Object.assign(new Error(error instanceof Error ? error.message : String(error)), {
      name: `${service}.${name}`,
    });
  }
}

export const INTEGRATIONS: Record<string, Integration> = {
  'arn:aws:states:::dynamodb:updateItem': (parameters) =>
    call('DynamoDB', () =>
      (dynamoDb ??= new DynamoDBClient({})).send(
        new UpdateItemCommand(parameters as unknown as UpdateItemCommandInput),
      ),
    ),
  'arn:aws:states:::sns:publish': (parameters) =>
    call('SNS', () =>
      (sns ??= new SNSClient({})).send(new PublishCommand(parameters as unknown as PublishCommandInput)),
    ),
};

/** Forgets the clients (a new sandbox listens on another port). */
export function resetIntegrations(): void {
  dynamoDb?.destroy();
  sns?.destroy();
  dynamoDb = undefined;
  sns = undefined;
}
