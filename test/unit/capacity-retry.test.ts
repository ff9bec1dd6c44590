import { beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler as autoScaling } from '../../functions/auto-scaling-action/handler';
import { lambdaContext } from '../../local/lambda-context';
import { aws, awsError, readyToAct, resetAwsMocks } from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';
import { group } from '../helpers/workflow-mocks';

// Issue 26, third hostile review: a SetDesiredCapacity is an absolute value. The re-decision after
// the claim decides on the group as it is, not on this attempt's own intent (which it used to read
// back as an earlier attempt's, and so re-issue the planned value); and a retry re-issues an
// earlier attempt's value only when that is no larger a change than the kernel would make now:
//  (a) target tracking scaling out during the claim sends a scale-in back (TargetChanged);
//  (b) a scale-in whose reply was lost is not made again after Auto Scaling scaled out meanwhile.

const asg = (event: unknown) => autoScaling(event as never, lambdaContext('AutoScalingActionFunction'));
const OWNER = 'alarm-web-cpu-high-f7043769cb7b8bad5936';

/** The scale-in the default policy lets a tagged ASG alarm make (step 1, floor 2), planned at 12 → 11. */
function scaleInTask() {
  const task = loadEvent<{ plan: Record<string, unknown>; prepared: Record<string, unknown> }>('auto-scaling-apply');
  task.plan.rule = 'tagged-scale-in';
  task.plan.action = { type: 'scale-in', autoScalingGroupName: 'web-asg', step: 1, minCapacity: 2 };
  task.prepared = {
    status: 'ready',
    description: 'set web-asg desired capacity 12 → 11',
    autoScalingGroupName: 'web-asg',
    currentDesiredCapacity: 12,
    desiredCapacity: 11,
  };
  return task;
}

type Item = Record<string, unknown> & { holders?: Set<string>; consumers?: Set<string> };
interface Update {
  Key: { target: string };
  UpdateExpression: string;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/** A guard table that keeps what is written (intent, claim, holders, consumers), as DynamoDB would. */
const items = new Map<string, Item>();
function guardTable(onBudget: () => void = () => undefined) {
  items.clear();
  items.set('asg:web-asg', {
    target: 'asg:web-asg',
    lockedBy: OWNER,
    lockState: 'in-progress',
    lockExpiresAt: 9_999_999_999,
  });
  aws.dynamoDb.on(GetCommand).callsFake((input: { Key: { target: string } }) => {
    const item = items.get(input.Key.target);
    return item ? { Item: item } : {};
  });
  aws.dynamoDb.on(UpdateCommand).callsFake((input: Update) => {
    const key = input.Key.target;
    const v = input.ExpressionAttributeValues ?? {};
    const item: Item = items.get(key) ?? { target: key };
    const expr = input.UpdateExpression;
    const set = (name: string) => v[name] as Set<string>;
    if (expr.startsWith('SET intentAt'))
      Object.assign(item, {
        intentAt: v[':now'],
        intentCall: v[':operation'],
        intentInput: v[':input'],
        lockExpiresAt: v[':renewed'],
        ...(v[':claim'] ? { claimed: v[':claim'] } : {}),
      });
    else if (expr.startsWith('REMOVE intentAt'))
      for (const field of ['intentAt', 'intentCall', 'intentInput', 'claimed']) delete item[field];
    else if (expr.startsWith('ADD holders')) item.holders = new Set([...(item.holders ?? []), ...set(':mine')]);
    else if (expr.startsWith('DELETE holders'))
      item.holders = new Set([...(item.holders ?? [])].filter((h) => !set(':gone').has(h)));
    else if (expr.startsWith('ADD consumers')) {
      item.consumers = new Set([...(item.consumers ?? []), ...set(':me')]);
      onBudget();
    } else if (expr.startsWith('DELETE consumers'))
      item.consumers = new Set([...(item.consumers ?? [])].filter((c) => !set(':me').has(c)));
    items.set(key, item);
    return { Attributes: item };
  });
}

let desired = 12;
let healthy = 12;
beforeEach(() => {
  resetAwsMocks();
  readyToAct();
  desired = 12;
  healthy = 12;
  aws.autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake(() => group(desired, healthy, { MaxSize: 20 }));
  aws.autoScaling.on(SetDesiredCapacityCommand).callsFake((input: { DesiredCapacity: number }) => {
    desired = input.DesiredCapacity;
    return {};
  });
});

describe('a scale-in and a concurrent scale-out by target tracking', () => {
  it('does not set the planned 11 once the group reached 14 while the change was claimed (TargetChanged)', async () => {
    // While the platform takes its budget, target tracking scales out 12 → 14 (new instances not in service yet).
    guardTable(() => {
      desired = 14;
    });

    const outcome = await asg(scaleInTask()).then(
      () => 'called',
      (error: Error) => error.name,
    );

    const calls = aws.autoScaling.commandCalls(SetDesiredCapacityCommand).map((c) => c.args[0].input.DesiredCapacity);
    const held = [...(items.get('disruption:asg:web-asg')?.holders ?? [])].length;
    // Safe: no call at all (the re-decision would make 14 → 13, another call: TargetChanged), or at
    // least never below 13, and never more instances drained than disruption slots held.
    expect({ outcome, calls, drained: 14 - desired, held }).toEqual({
      outcome: 'TargetChanged',
      calls: [],
      drained: 0,
      held: 0,
    });
  });
});

describe('a scale-in whose one attempt landed but whose reply was lost', () => {
  it('is not made a second time on the retry after Auto Scaling scaled out meanwhile', async () => {
    guardTable();
    // The one attempt: SetDesiredCapacity(11) lands, the reply is lost (a 5xx).
    aws.autoScaling.on(SetDesiredCapacityCommand).callsFakeOnce((input: { DesiredCapacity: number }) => {
      desired = input.DesiredCapacity;
      throw Object.assign(awsError('InternalFailure', 500), { $metadata: { httpStatusCode: 500, attempts: 1 } });
    });
    await expect(asg(scaleInTask())).rejects.toMatchObject({ name: 'AwsTransientError' });
    expect(desired).toBe(11);

    // Before the workflow's Retry (AwsTransientError) runs, target tracking scales out 11 → 13.
    desired = 13;
    aws.autoScaling.on(SetDesiredCapacityCommand).callsFake((input: { DesiredCapacity: number }) => {
      desired = input.DesiredCapacity;
      return {};
    });
    await asg(scaleInTask()).catch(() => undefined);

    // Safe: the scale-in was made once (12 → 11); the retry leaves target tracking's 13 alone.
    expect({ calls: aws.autoScaling.commandCalls(SetDesiredCapacityCommand).length, desired }).toEqual({
      calls: 1,
      desired: 13,
    });
  });
});
