import { beforeEach, describe, expect, it } from '@jest/globals';
import { PublishCommand } from '@aws-sdk/client-sns';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { publishOnce } from '../../functions/aws/notifications';
import { snsOneAttempt } from '../../functions/aws/clients/sns';
import { aws, awsError, conditionFailed, guardTableItems, resetAwsMocks } from '../helpers/aws-mocks';

// Issue 26, second hostile review: one notification per outcome under lost replies. SNS standard
// topics do not deduplicate: a Publish whose reply is lost (a 5xx after SNS accepted it) must not
// page twice, whether the workflow retries the task or the SDK retries the call; a publish SNS
// refused (a 4xx: nothing went out) is published by the retry.

const NOW = new Date('2026-11-23T10:16:00.000Z');
const note = { subject: 'FAILED x', message: 'm', severity: 'critical', outcome: 'failed' };

/** The guard table's notification markers, with the conditional write DynamoDB would evaluate. */
function markersKept() {
  const items = guardTableItems();
  aws.dynamoDb
    .on(UpdateCommand)
    .callsFake(
      (input: {
        Key: { target: string };
        UpdateExpression: string;
        ConditionExpression?: string;
        ExpressionAttributeValues: Record<string, unknown>;
      }) => {
        const item = items.get(input.Key.target) ?? { target: input.Key.target };
        if (input.ConditionExpression && item.status !== undefined && item.status !== 'failed') throw conditionFailed();
        const v = input.ExpressionAttributeValues;
        const status = v[':sending'] ?? v[':sent'] ?? v[':failed'] ?? v[':unknown'];
        items.set(input.Key.target, { ...item, status, ...(v[':id'] ? { messageId: v[':id'] } : {}) });
        return {};
      },
    );
}

beforeEach(() => {
  resetAwsMocks();
  markersKept();
});

describe('one notification per outcome under lost replies', () => {
  it('publishes once when SNS accepted the message but its reply was lost (the task is retried)', async () => {
    let delivered = 0;
    aws.sns.on(PublishCommand).callsFake(() => {
      delivered += 1; // SNS accepted it and fanned it out to the pager ...
      if (delivered === 1) throw awsError('InternalError', 503); // ... but the reply never came back.
      return { MessageId: `msg-${delivered}` };
    });

    // No verdict from SNS: the task says so (and its alarm's metric) instead of failing into a retry.
    const first = await publishOnce('GuardTable', 'arn:topic', 'exec-1:failed', note, NOW);
    // A retry anyway (the task timed out after it ran): it finds the marker and publishes nothing.
    const retried = await publishOnce('GuardTable', 'arn:topic', 'exec-1:failed', note, NOW);

    expect(delivered).toBe(1);
    expect(first).toMatchObject({ unconfirmed: true });
    expect(retried).toMatchObject({ alreadySent: true, unconfirmed: true });
  });

  it('pages on the retry when SNS refused the publish (nothing went out)', async () => {
    let delivered = 0;
    let attempts = 0;
    aws.sns.on(PublishCommand).callsFake(() => {
      attempts += 1;
      if (attempts === 1) throw awsError('Throttling', 400);
      delivered += 1;
      return { MessageId: 'msg-ok' };
    });

    await expect(publishOnce('GuardTable', 'arn:topic', 'exec-2:failed', note, NOW)).rejects.toMatchObject({
      name: 'AwsThrottledError',
    });
    await publishOnce('GuardTable', 'arn:topic', 'exec-2:failed', note, NOW);

    expect(delivered).toBe(1);
  });

  it('when the refusal cannot be recorded either (the table throttled too), says it is unconfirmed rather than page twice', async () => {
    aws.sns.on(PublishCommand).rejectsOnce(awsError('Throttling', 400)).resolves({ MessageId: 'msg-ok' });
    let updates = 0;
    const kept = new Map<string, string>();
    aws.dynamoDb.on(UpdateCommand).callsFake((input: { Key: { target: string }; ConditionExpression?: string }) => {
      updates += 1;
      if (updates === 2) throw awsError('ProvisionedThroughputExceededException', 400);
      if (input.ConditionExpression && kept.has(input.Key.target)) throw conditionFailed();
      kept.set(input.Key.target, 'sending');
      return {};
    });

    await expect(publishOnce('GuardTable', 'arn:topic', 'exec-3:failed', note, NOW)).rejects.toBeDefined();
    const retried = await publishOnce('GuardTable', 'arn:topic', 'exec-3:failed', note, NOW);

    // The residual case (docs/safety.md): no page from this path, NotificationUnconfirmed's alarm instead.
    expect(retried).toEqual({ alreadySent: true, unconfirmed: true });
    expect(aws.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('publishes through a client that makes one attempt (the SDK never re-sends a Publish on its own)', async () => {
    aws.sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });

    await publishOnce('GuardTable', 'arn:topic', 'exec-4:failed', note, NOW);

    expect(await snsOneAttempt.config.maxAttempts()).toBe(1);
    expect(aws.sns.commandCalls(PublishCommand)[0]?.thisValue).toBe(snsOneAttempt);
  });
});
