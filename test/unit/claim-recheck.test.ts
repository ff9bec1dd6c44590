import { beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler as autoScaling } from '../../functions/auto-scaling-action/handler';
import { lambdaContext } from '../../local/lambda-context';
import { aws, readyToAct, resetAwsMocks } from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';
import { group } from '../helpers/workflow-mocks';
import { autoScalingOneAttempt } from '../../functions/aws/clients/auto-scaling';

// Issue 26, second hostile review: the kernel decides "4 → 6" on the group read in the
// pre-flight, then the claim makes several DynamoDB writes (each retried when throttled), then
// SetDesiredCapacity(6), an absolute value. Target tracking scaling the same group to 8 inside that
// window would have the platform's "scale-out" set 8 → 6. The kernel decides once more after the
// claim, on the group read then, and calls only if it still makes that very call.

const asg = (event: unknown) => autoScaling(event as never, lambdaContext('AutoScalingActionFunction'));

let desired = 4;
beforeEach(() => {
  resetAwsMocks();
  readyToAct();
  desired = 4;
  aws.autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake(() => group(desired, desired));
  aws.dynamoDb.on(UpdateCommand).callsFake((input: { UpdateExpression: string }) => {
    // While the platform takes its budget, target tracking's own scale-out lands: 4 → 8.
    if (input.UpdateExpression.startsWith('ADD consumers')) desired = 8;
    return { Attributes: {} };
  });
  aws.autoScaling.on(SetDesiredCapacityCommand).callsFake((input: { DesiredCapacity: number }) => {
    desired = input.DesiredCapacity;
    return {};
  });
});

describe('a scale-out and a concurrent scaling activity', () => {
  it('never sets a capacity below the one the group reached while the change was claimed', async () => {
    await expect(asg(loadEvent('auto-scaling-apply'))).rejects.toMatchObject({
      name: 'TargetChanged',
      message: expect.stringContaining('"DesiredCapacity":10'),
    });

    expect(aws.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(desired).toBe(8);
    // What the claim took is given back (the workflow prepares again from the group as it is).
    const writes = aws.dynamoDb.commandCalls(UpdateCommand).map((c) => String(c.args[0].input.UpdateExpression));
    expect(writes.some((w) => w.startsWith('DELETE consumers'))).toBe(true);
  });

  it('calls when nothing moved meanwhile (the second decision makes the same call)', async () => {
    aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: {} });

    await asg(loadEvent('auto-scaling-apply'));

    expect(aws.autoScaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 6 });
    expect(desired).toBe(6);
  });

  it('makes one attempt per call: the SDK never re-sends an absolute capacity on its own', async () => {
    expect(await autoScalingOneAttempt.config.maxAttempts()).toBe(1);
    aws.dynamoDb.on(UpdateCommand).resolves({ Attributes: {} });
    await asg(loadEvent('auto-scaling-apply'));
    const call = aws.autoScaling.commandCalls(SetDesiredCapacityCommand)[0];
    expect(call?.thisValue).toBe(autoScalingOneAttempt);
  });
});
