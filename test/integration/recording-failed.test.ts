import { describe, expect, it } from '@jest/globals';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { settleApproving, useGameDaySandbox } from '../helpers/sandbox';

// Record Outcome's first three invocations (one entry and its two Sandbox.Timedout retries) run to
// their end and then time out: the first execution cannot record its outcome.
const current = useGameDaySandbox({ faults: 'Lambda.RecordOutcomeFunction:first=3,fail=timeout' });
const sfn = new SFNClient({});

async function run(name: string, action: object) {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: process.env.STATE_MACHINE_ARN,
      name,
      input: JSON.stringify({ action, reason: 'recording test', dryRun: false }),
    }),
  );
  await settleApproving(current.simulation());
  return sfn.send(new DescribeExecutionCommand({ executionArn }));
}

describe('when Record Outcome cannot run', () => {
  it('holds the target for review and pages, and no automation acts on the target until a human clears it', async () => {
    const first = await run('unrecorded', { type: 'scale-out', autoScalingGroupName: 'web-asg', step: 1 });

    expect(first.status).toBe('FAILED');
    expect(current().executions.get('unrecorded')?.run?.states.slice(-4)).toEqual([
      'Hold Targets For Review',
      'Hold Target For Review',
      'Page Recording Failed',
      'Recording Failed',
    ]);
    const item = await new DynamoDBClient({}).send(
      new GetItemCommand({ TableName: process.env.GUARD_TABLE_NAME, Key: { target: { S: 'asg:web-asg' } } }),
    );
    expect(item.Item?.heldForReview?.S).toMatch(/^unrecorded could not record its outcome \(Sandbox\.Timedout\)$/);
    expect(item.Item?.expiresAt).toBeUndefined();
    const page = current().published.find((p) => p.attributes.outcome === 'recording-failed');
    expect(page).toMatchObject({ attributes: { severity: 'critical' } });
    expect(page?.message).toContain('Execution unrecorded could not record its outcome: Sandbox.Timedout');

    // Each of the three attempts ran to its end: the notification went out once all the same.
    const recordingPublishes = current().calls.filter(
      (c) => c.operation === 'SNS.Publish' && c.outcome === 'ok' && c.actor === 'unrecorded|Record Success',
    );
    expect(recordingPublishes).toHaveLength(1);

    const scaled = current().mutatingCalls().length;
    // Long after the first lock would have expired by itself.
    await current.simulation().advance(6 * 3600);
    const second = await run('after-review-hold', { type: 'scale-out', autoScalingGroupName: 'web-asg', step: 1 });

    expect(JSON.parse(second.output ?? '{}')).toMatchObject({
      guard: { decision: 'skip', reason: 'HeldForReview' },
      record: { outcome: 'skipped', reason: 'HeldForReview', notification: { severity: 'warning' } },
    });
    expect(current().mutatingCalls()).toHaveLength(scaled);
  }, 60_000);
});
