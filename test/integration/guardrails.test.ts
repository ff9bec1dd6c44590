import { describe, expect, it } from '@jest/globals';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { settleApproving, useGameDaySandbox } from '../helpers/sandbox';

// The guard step against a real DynamoDB implementation (dynalite behind the sandbox):
// conditional writes, cooldowns and the circuit breaker as they behave on AWS.
const current = useGameDaySandbox();

const sfn = () => new SFNClient({});
const start = (name: string, action: object, dryRun = false) =>
  sfn().send(
    new StartExecutionCommand({
      stateMachineArn: process.env.STATE_MACHINE_ARN,
      name,
      input: JSON.stringify({ action, reason: 'guardrails test', dryRun }),
    }),
  );
async function output(name: string): Promise<{
  guard?: { reason?: string; decision?: string; detail?: string };
  record?: { outcome?: string; reason?: string; metrics?: { name: string }[]; notification?: { subject: string } };
}> {
  const execution = current().executions.get(name);
  if (!execution) throw new Error(`no execution ${name}`);
  const described = await sfn().send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
  if (described.output) return JSON.parse(described.output) as never;
  const record = execution.run?.events
    .filter((e) => e.type === 'StateExited' && e.state?.name.startsWith('Record'))
    .pop();
  return (record?.state as { output?: unknown } | undefined)?.output ?? {};
}
/** Lets simulated time pass: the cooldown is 300 s, so 301 s later it is over. */
const simulatedWait = (seconds: number) => current.simulation().advance(seconds);
/** Lets simulated time run until the sandbox has served the conditional write that took this target's lock. */
const lockWritten = (target: string) =>
  current
    .simulation()
    .until(
      () =>
        current().calls.some(
          (c) =>
            c.operation === 'DynamoDB.UpdateItem' &&
            c.outcome === 'ok' &&
            JSON.stringify(c.params).includes(target) &&
            JSON.stringify(c.params).includes(':inProgress'),
        ),
      `the lock on ${target}`,
    );
const mutating = (operation: string) =>
  current()
    .mutatingCalls()
    .filter((c) => c.operation === operation);

describe('guardrails through the sandbox', () => {
  it('lets one remediation per target run at a time: the second incident is skipped InProgress', async () => {
    await start('guard-first', { type: 'scale-out', autoScalingGroupName: 'api-asg', step: 1 });
    await lockWritten('asg:api-asg');
    await start('guard-second', { type: 'scale-out', autoScalingGroupName: 'api-asg', step: 1 });
    await settleApproving(current.simulation());

    expect((await output('guard-first')).record).toMatchObject({ outcome: 'succeeded' });
    expect(await output('guard-second')).toMatchObject({
      guard: { decision: 'skip', reason: 'InProgress' },
      record: { outcome: 'skipped', reason: 'InProgress' },
    });
    expect(mutating('AutoScaling.SetDesiredCapacity').map((c) => c.params.AutoScalingGroupName)).toEqual(['api-asg']);
  }, 30_000);

  it('skips a new incident on the target during its cooldown, and acts again after it', async () => {
    await start('guard-cooldown', { type: 'scale-out', autoScalingGroupName: 'api-asg', step: 1 });
    await settleApproving(current.simulation());
    const during = await output('guard-cooldown');
    await simulatedWait(301);
    await start('guard-after-cooldown', { type: 'scale-out', autoScalingGroupName: 'api-asg', step: 1 });
    await settleApproving(current.simulation());

    expect(during).toMatchObject({
      guard: { reason: 'Cooldown', detail: expect.stringContaining('api-asg is cooling down after guard-first') },
    });
    expect((await output('guard-after-cooldown')).record).toMatchObject({ outcome: 'succeeded' });
    expect(mutating('AutoScaling.SetDesiredCapacity')).toHaveLength(2);
  }, 30_000);

  it('reports in a dry run what would block it, without taking the lock', async () => {
    await start('guard-busy', { type: 'rollback-deployment', application: 'web-app', deploymentGroup: 'web-prod' });
    await lockWritten('deployment-group:web-app/web-prod');
    await start(
      'guard-dry-run',
      { type: 'rollback-deployment', application: 'web-app', deploymentGroup: 'web-prod' },
      true,
    );
    await settleApproving(current.simulation());

    expect(await output('guard-dry-run')).toMatchObject({
      guard: { reason: 'InProgress' },
      record: { outcome: 'skipped' },
    });
    expect((await output('guard-busy')).record).toMatchObject({ outcome: 'succeeded' });
    expect(mutating('CodeDeploy.CreateDeployment')).toHaveLength(1);
  }, 30_000);

  it('opens the circuit after 3 failed remediations of a target within the window, then stops acting and says so', async () => {
    const broken = {
      type: 'run-automation',
      documentName: 'AWS-RestartEC2Instance',
      parameters: { InstanceId: ['i-0deadbeef0000001'] },
    };
    for (const attempt of [1, 2, 3]) {
      await start(`guard-breaker-${attempt}`, broken);
      await settleApproving(current.simulation());
      await simulatedWait(301);
    }
    await start('guard-breaker-4', broken);
    await settleApproving(current.simulation());

    const third = await output('guard-breaker-3');
    expect(third.record?.outcome).toBe('failed');
    expect(third.record?.metrics?.map((m) => m.name)).toContain('CircuitBreakerOpened');
    expect(third.record?.notification?.subject).toMatch(
      /^\[SelfHealing\] CIRCUIT OPEN, FAILED run AWS-RestartEC2Instance/,
    );
    expect(await output('guard-breaker-4')).toMatchObject({
      guard: { reason: 'CircuitOpen' },
      record: { outcome: 'skipped', reason: 'CircuitOpen' },
    });
    expect(mutating('SSM.StartAutomationExecution')).toHaveLength(3);
    expect(current().published.at(-1)?.subject).toContain('SKIPPED (CircuitOpen)');
  }, 60_000);
});
