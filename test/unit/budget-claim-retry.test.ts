import { beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler as autoScaling } from '../../functions/auto-scaling-action/handler';
import { lambdaContext } from '../../local/lambda-context';
import { aws, awsError, conditionFailed, guardTableItems, readyToAct, resetAwsMocks } from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';
import { group } from '../helpers/workflow-mocks';

// Issue 26, second hostile review: act() records the intent with its claim (the budget counters)
// before it takes the budget. When taking it fails for another reason than "full" (a throttled
// conditional write, a timeout between the two writes), the retry must still take it (an idempotent
// write per consumer), in the hour of the first claim: a change never goes out uncounted.

const asg = (event: unknown) => autoScaling(event as never, lambdaContext('AutoScalingActionFunction'));
const LIMIT = 20; // REMEDIATION_BUDGET_PER_HOUR default

let budgetWrites = 0;
function guardTable() {
  const items = guardTableItems();
  // The hour's scale-out budget (the account's 20 when none is set) is already used up by 20 others.
  items.set('budget:scale-out:2026-11-23T10', {
    consumers: new Set(Array.from({ length: LIMIT }, (_, i) => `other-${i}#1`)),
  });
  aws.dynamoDb
    .on(UpdateCommand)
    .callsFake(
      (input: {
        Key: { target: string };
        UpdateExpression: string;
        ExpressionAttributeValues: Record<string, unknown>;
      }) => {
        const v = input.ExpressionAttributeValues;
        const key = input.Key.target;
        if (input.UpdateExpression.startsWith('SET intentAt')) {
          items.set(key, {
            ...(items.get(key) ?? {}),
            target: key,
            lockedBy: v[':me'],
            lockState: 'in-progress',
            lockExpiresAt: v[':renewed'],
            intentAt: v[':now'],
            intentCall: v[':operation'],
            intentInput: v[':input'],
            ...(v[':claim'] ? { claimed: v[':claim'] } : {}),
          });
          return {};
        }
        if (input.UpdateExpression.startsWith('ADD consumers')) {
          budgetWrites += 1;
          // The first conditional write is throttled (it would have failed its condition: the budget is full).
          if (budgetWrites === 1) throw awsError('ThrottlingException', 400);
          const consumers = (items.get(key)?.consumers as Set<string> | undefined) ?? new Set<string>();
          if (consumers.size >= LIMIT && !consumers.has(String(v[':id']))) throw conditionFailed();
          return { Attributes: { consumers: new Set([...consumers, String(v[':id'])]) } };
        }
        return {};
      },
    );
}

beforeEach(() => {
  resetAwsMocks();
  readyToAct();
  budgetWrites = 0;
  guardTable();
  aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(group(4, 4));
  aws.autoScaling.on(SetDesiredCapacityCommand).resolves({});
});

describe("the hour's budget under a throttled guard table", () => {
  it('makes no change once the budget is exhausted, even when the first budget write was throttled', async () => {
    const task = loadEvent('auto-scaling-apply');
    // Attempt 1: the intent (and its claim) is recorded, the budget write is throttled; the workflow retries.
    await expect(asg(task)).rejects.toMatchObject({ name: 'AwsThrottledError' });
    // Attempt 2 (Retry on AwsThrottledError).
    const second = await asg(task).then(
      () => 'changed',
      (error: Error) => error.name,
    );

    expect({ second, calls: aws.autoScaling.commandCalls(SetDesiredCapacityCommand).length }).toEqual({
      second: 'BudgetExhausted',
      calls: 0,
    });
  });
});

/** An empty guard table that takes every write. */
function roomInTheBudget() {
  aws.dynamoDb.on(GetCommand).resolves({});
  aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: {} });
}

describe('a mutating call whose last attempt was refused after an earlier one went through', () => {
  it('keeps its claim (intent and budget): the SDK may have made the call before it was throttled', async () => {
    const task = loadEvent('auto-scaling-apply');
    // The SDK's first attempt got a 5xx for a call that went through, its second was throttled.
    const throttledAfterRetry = Object.assign(awsError('Throttling', 400), {
      $metadata: { httpStatusCode: 400, attempts: 2 },
    });
    aws.autoScaling.on(SetDesiredCapacityCommand).rejects(throttledAfterRetry);
    roomInTheBudget();

    await expect(asg(task)).rejects.toMatchObject({ name: 'AwsThrottledError' });

    const writes = aws.dynamoDb.commandCalls(UpdateCommand).map((c) => String(c.args[0].input.UpdateExpression));
    expect(writes.some((w) => w.startsWith('REMOVE intentAt'))).toBe(false);
    expect(writes.some((w) => w.startsWith('DELETE consumers'))).toBe(false);
  });

  it('gives it back when the one attempt was refused (nothing was made)', async () => {
    const task = loadEvent('auto-scaling-apply');
    aws.autoScaling.on(SetDesiredCapacityCommand).rejects(awsError('Throttling', 400));
    roomInTheBudget();

    await expect(asg(task)).rejects.toMatchObject({ name: 'AwsThrottledError' });

    const writes = aws.dynamoDb.commandCalls(UpdateCommand).map((c) => String(c.args[0].input.UpdateExpression));
    expect(writes.some((w) => w.startsWith('REMOVE intentAt'))).toBe(true);
    expect(writes.some((w) => w.startsWith('DELETE consumers'))).toBe(true);
  });
});

describe('a claim that fails before its call', () => {
  const owner = 'alarm-web-cpu-high-f7043769cb7b8bad5936';
  /** The guard table: the lock item as `item`, every write taken but the budget's, which fails with a 5xx. */
  function budgetWriteFails(item: Record<string, unknown>) {
    aws.dynamoDb
      .on(GetCommand)
      .callsFake((input: { Key: { target: string } }) => (input.Key.target === 'asg:web-asg' ? { Item: item } : {}));
    aws.dynamoDb.on(UpdateCommand).callsFake((input: { UpdateExpression: string }) => {
      if (input.UpdateExpression.startsWith('ADD consumers')) throw awsError('InternalServerError', 500);
      return { Attributes: {} };
    });
  }
  const writes = () => aws.dynamoDb.commandCalls(UpdateCommand).map((c) => String(c.args[0].input.UpdateExpression));

  it('gives back what this attempt claimed: no call was made', async () => {
    budgetWriteFails({ target: 'asg:web-asg', lockedBy: owner, lockState: 'in-progress' });

    await expect(asg(loadEvent('auto-scaling-apply'))).rejects.toMatchObject({ name: 'AwsTransientError' });

    expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(writes().some((w) => w.startsWith('REMOVE intentAt'))).toBe(true);
  });

  it("keeps an earlier attempt's claim: its call may have gone through, and a retry must not act twice", async () => {
    budgetWriteFails({
      target: 'asg:web-asg',
      lockedBy: owner,
      lockState: 'in-progress',
      intentCall: 'AutoScaling.SetDesiredCapacity',
      intentInput: JSON.stringify({ AutoScalingGroupName: 'web-asg', DesiredCapacity: 6, HonorCooldown: false }),
      claimed: { budget: { keys: ['budget:scale-out:2026-11-23T10'], consumer: `${owner}#1` } },
    });

    await expect(asg(loadEvent('auto-scaling-apply'))).rejects.toMatchObject({ name: 'AwsTransientError' });

    expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(writes().some((w) => w.startsWith('REMOVE intentAt'))).toBe(false);
    expect(writes().some((w) => w.startsWith('DELETE consumers'))).toBe(false);
  });
});
