import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { callAws, refusedBeforeChange, toNamedAwsError } from './aws-errors';
import { dynamoDb } from './clients/dynamodb';
import { snsOneAttempt } from './clients/sns';
import { logger, metrics } from '../platform/powertools';

// One notification per execution and outcome, whichever attempt of the recording step publishes
// it. SNS standard topics have no deduplication (FIFO topics do, but cannot deliver to email or
// HTTPS), so this is ours: a marker in the guard table, written conditionally BEFORE the publish
// (`sending`) and confirmed after it (`sent`, with the message id). Publish is made once per
// attempt (no SDK retry): whether it went out is decided here, from SNS's answer.
//   - A retry finds `sent`: nothing is published again.
//   - SNS refused the publish (a 4xx: throttled, invalid): nothing went out. The marker is set to
//     `failed` before the error goes up, so the workflow's retry publishes.
//   - SNS's answer is unknown (a 5xx, a timeout, the connection lost: it may have accepted the
//     message) or the attempt died after claiming: the marker says `unknown`/`sending`, and a retry
//     publishes nothing again. The record says the notification is unconfirmed, and the
//     NotificationUnconfirmed metric pages through its own CloudWatch alarm (template.yaml), by a
//     path that does not depend on this one.
//   - The confirmation fails after a publish that went through (a throttled write): the task still
//     succeeds, with the message id it holds, so no retry publishes again; the marker stays
//     `sending` until its TTL.
//   Left open (docs/safety.md): a refused publish whose `failed` marker write fails too reads as
//   unconfirmed on the retry: no second page, but the NotificationUnconfirmed alarm.

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
    snsOneAttempt.send(
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
    if (refusedBeforeChange(error)) {
      // SNS refused it: nothing went out. Let the workflow's retry publish.
      await mark(tableName, key, { ':failed': 'failed' }, 'SET #status = :failed');
      throw error;
    }
    // It may have gone out: never a second page for it. Say so, and let its own alarm page.
    logger.warn('Publish answered with no verdict: it may have gone out; not publishing it again', { key, error });
    metrics.addMetric('NotificationUnconfirmed', MetricUnit.Count, 1);
    await mark(tableName, key, { ':unknown': 'unknown' }, 'SET #status = :unknown').catch((markError: unknown) =>
      logger.warn('Could not mark the notification unknown (it stays sending: the same to a retry)', { markError }),
    );
    return { alreadySent: false, unconfirmed: true };
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
