import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { callAws } from './aws-errors';
import { dynamoDb } from './clients/dynamodb';
import { sns } from './clients/sns';

// A recording state that timed out after publishing is retried by Step Functions: the message id
// it published is kept in the guard table under the execution and state, so the retry finds it and
// does not page again. SNS standard topics have no deduplication (FIFO topics do, but cannot
// deliver to email or HTTPS), so this is ours. What is left: a task killed between the publish and
// the write below publishes twice; the message carries `dedupKey` for subscribers that dedupe.

export interface Notification {
  subject: string;
  message: string;
  severity: string;
  outcome: string;
}

const KEPT_SECONDS = 7 * 24 * 3600;

export async function publishOnce(
  tableName: string,
  topicArn: string,
  dedupKey: string | undefined,
  notification: Notification,
  now: Date,
): Promise<{ messageId?: string; alreadySent: boolean }> {
  const key = dedupKey ? `notified:${dedupKey}` : undefined;
  if (key) {
    const sent = await callAws('DynamoDB.GetItem', () =>
      dynamoDb.send(new GetCommand({ TableName: tableName, Key: { target: key }, ConsistentRead: true })),
    );
    const messageId = sent.Item?.messageId as string | undefined;
    if (messageId) return { messageId, alreadySent: true };
  }
  const published = await callAws('SNS.Publish', () =>
    sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: notification.subject,
        Message: notification.message,
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: notification.severity },
          outcome: { DataType: 'String', StringValue: notification.outcome },
          ...(dedupKey ? { dedupKey: { DataType: 'String', StringValue: dedupKey } } : {}),
        },
      }),
    ),
  );
  if (key && published.MessageId)
    await callAws('DynamoDB.UpdateItem', () =>
      dynamoDb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { target: key },
          UpdateExpression: 'SET messageId = :id, expiresAt = :ttl',
          ExpressionAttributeValues: {
            ':id': published.MessageId,
            ':ttl': Math.floor(now.getTime() / 1000) + KEPT_SECONDS,
          },
        }),
      ),
    );
  return { ...(published.MessageId ? { messageId: published.MessageId } : {}), alreadySent: false };
}
