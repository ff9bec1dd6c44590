import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { callAws, toNamedAwsError } from './aws-errors';
import { dynamoDb } from './clients/dynamodb';
import { sns } from './clients/sns';
import { logger, metrics } from '../platform/powertools';

// One notification per execution and outcome, whichever attempt of the recording step publishes
// it. SNS standard topics have no deduplication (FIFO topics do, but cannot deliver to email or
// HTTPS), so this is ours: a marker in the guard table, written conditionally BEFORE the publish
// (`sending`) and confirmed after it (`sent`, with the message id).
//   - A retry finds `sent`: nothing is published again.
//   - A retry finds `sending` (an attempt claimed the marker, then died before confirming): that
//     attempt may well have published, so nothing is published again; the record says the
//     notification is unconfirmed and the NotificationUnconfirmed metric counts it.
//   - The publish itself fails: the marker is set back to `failed` before the error goes up, so the
//     workflow's retry publishes.
//   - The confirmation fails after a publish that went through (a throttled write): the task still
//     succeeds, with the message id it holds, so no retry publishes again; the marker stays
//     `sending` until its TTL.

export interface Notification {
  subject: string;
  message: string;
  severity: string;
  outcome: string;
}

const KEPT_SECONDS = 7 * 24 * 3600;
const conditionFailed = (error: unknown) => error instanceof Error && error.name === 'ConditionalCheckFailedException';

export interface Published {
  messageId?: string;
  alreadySent: boolean;
  /** An earlier attempt claimed the marker and never confirmed it: it may have published. */
  unconfirmed?: boolean;
}

async function publish(
  topicArn: string,
  notification: Notification,
  dedupKey: string | undefined,
): Promise<string | undefined> {
  const out = await callAws('SNS.Publish', () =>
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
  return out.MessageId;
}

/** Sets the marker's status, as the attempt that holds it (best effort is the caller's choice). */
function mark(tableName: string, key: string, values: Record<string, unknown>, expression: string) {
  return callAws('DynamoDB.UpdateItem', () =>
    dynamoDb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { target: key },
        UpdateExpression: expression,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
      }),
    ),
  );
}

export async function publishOnce(
  tableName: string,
  topicArn: string,
  dedupKey: string | undefined,
  notification: Notification,
  now: Date,
): Promise<Published> {
  if (!dedupKey) {
    const messageId = await publish(topicArn, notification, undefined);
    return { ...(messageId ? { messageId } : {}), alreadySent: false };
  }
  const key = `notified:${dedupKey}`;
  const ttl = Math.floor(now.getTime() / 1000) + KEPT_SECONDS;
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { target: key },
        UpdateExpression: 'SET #status = :sending, expiresAt = :ttl',
        ConditionExpression: 'attribute_not_exists(#status) OR #status = :failed',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sending': 'sending', ':failed': 'failed', ':ttl': ttl },
      }),
    );
  } catch (error) {
    if (!conditionFailed(error)) throw toNamedAwsError(error, 'DynamoDB.UpdateItem');
    const seen = await callAws('DynamoDB.GetItem', () =>
      dynamoDb.send(new GetCommand({ TableName: tableName, Key: { target: key }, ConsistentRead: true })),
    );
    const messageId = seen.Item?.messageId as string | undefined;
    if (messageId) return { messageId, alreadySent: true };
    logger.warn('An earlier attempt claimed this notification and never confirmed it: not publishing again', { key });
    metrics.addMetric('NotificationUnconfirmed', MetricUnit.Count, 1);
    return { alreadySent: true, unconfirmed: true };
  }
  let messageId: string | undefined;
  try {
    messageId = await publish(topicArn, notification, dedupKey);
  } catch (error) {
    // Not published as far as anyone knows: let the workflow's retry publish.
    await mark(tableName, key, { ':failed': 'failed' }, 'SET #status = :failed');
    throw error;
  }
  try {
    await mark(tableName, key, { ':sent': 'sent', ':id': messageId ?? '' }, 'SET #status = :sent, messageId = :id');
  } catch (error) {
    // Published: failing the task now would make its retry find `sending` and hold back, at best.
    logger.warn('Published, but the marker could not be confirmed', { key, messageId, error });
    metrics.addMetric('NotificationMarkerUnconfirmed', MetricUnit.Count, 1);
  }
  return { ...(messageId ? { messageId } : {}), alreadySent: false };
}
