import { beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { GetDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { GetAutomationExecutionCommand } from '@aws-sdk/client-ssm';
import { handler } from '../../functions/check-progress/handler';
import { lambdaContext } from '../../local/lambda-context';
import { aws, resetAwsMocks } from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';

const invoke = (event: unknown) =>
  handler(event as never, lambdaContext('CheckProgressFunction')) as Promise<Record<string, unknown>>;
type State = { applied: { watch: object }; progress?: object };
const stateWatching = (watch: object, progress?: object): State => ({
  ...loadEvent<State>('check-progress'),
  applied: { ...loadEvent<State>('check-progress').applied, watch },
  ...(progress ? { progress } : {}),
});
const instances = (states: [string, string, string][]) =>
  ({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'web-asg',
        Instances: states.map(([InstanceId, LifecycleState, HealthStatus]) => ({
          InstanceId,
          LifecycleState,
          HealthStatus,
        })),
      },
    ],
  }) as never;

beforeEach(() => resetAwsMocks());

describe('CheckProgressFunction', () => {
  it('is pending until the group has the desired number of healthy InService instances', async () => {
    aws.autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce(
        instances([
          ['i-1', 'InService', 'Healthy'],
          ['i-2', 'Pending', 'Healthy'],
          ['i-3', 'InService', 'Unhealthy'],
        ]),
      )
      .resolves(
        instances([
          ['i-1', 'InService', 'Healthy'],
          ['i-2', 'InService', 'Healthy'],
          ['i-4', 'InService', 'Healthy'],
        ]),
      );
    const watch = { kind: 'auto-scaling-group', autoScalingGroupName: 'web-asg', desiredCapacity: 3 };

    const first = await invoke(stateWatching(watch));
    const second = await invoke(stateWatching(watch, first));

    expect(first).toMatchObject({ status: 'pending', attempt: 1, detail: '1/3 InService and healthy' });
    expect(second).toMatchObject({
      status: 'done',
      attempt: 2,
      detail: '3/3 InService and healthy',
      completedAt: expect.any(String),
    });
  });

  it('waits for a replaced instance to leave the group', async () => {
    aws.autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(
      instances([
        ['i-1', 'InService', 'Healthy'],
        ['i-old', 'InService', 'Unhealthy'],
      ]),
    );

    const progress = await invoke(
      stateWatching({
        kind: 'auto-scaling-group',
        autoScalingGroupName: 'web-asg',
        desiredCapacity: 1,
        replacedInstanceId: 'i-old',
      }),
    );

    expect(progress).toMatchObject({ status: 'pending', detail: '1/1 InService and healthy, i-old not yet replaced' });
  });

  it('follows a stopped deployment to the rollback CodeDeploy started for it', async () => {
    aws.codeDeploy
      .on(GetDeploymentCommand, { deploymentId: 'd-STOPPED01' })
      .resolves({ deploymentInfo: { status: 'Stopped', rollbackInfo: { rollbackDeploymentId: 'd-ROLLBACK1' } } });
    aws.codeDeploy
      .on(GetDeploymentCommand, { deploymentId: 'd-ROLLBACK1' })
      .resolves({ deploymentInfo: { status: 'Succeeded' } });

    const first = await invoke(stateWatching({ kind: 'deployment', deploymentId: 'd-STOPPED01' }));
    const second = await invoke(stateWatching({ kind: 'deployment', deploymentId: 'd-STOPPED01' }, first));

    expect(first).toMatchObject({ status: 'pending', watch: { kind: 'deployment', deploymentId: 'd-ROLLBACK1' } });
    expect(second).toMatchObject({ status: 'done', detail: 'deployment d-ROLLBACK1 Succeeded' });
  });

  it('fails with ActionFailedError when a deployment fails with no rollback', async () => {
    aws.codeDeploy
      .on(GetDeploymentCommand)
      .resolves({ deploymentInfo: { status: 'Failed', errorInformation: { message: 'ApplicationStop failed' } } });

    await expect(invoke(stateWatching({ kind: 'deployment', deploymentId: 'd-NEW000003' }))).rejects.toMatchObject({
      name: 'ActionFailedError',
      message: expect.stringContaining('ApplicationStop failed'),
    });
  });

  it.each([
    ['InProgress', 'pending'],
    ['Waiting', 'pending'],
    ['Success', 'done'],
    ['CompletedWithSuccess', 'done'],
  ])('reports an automation that is %s as %s', async (status, expected) => {
    aws.ssm
      .on(GetAutomationExecutionCommand)
      .resolves({ AutomationExecution: { AutomationExecutionStatus: status as never } });

    expect(await invoke(stateWatching({ kind: 'automation', executionId: 'exec-1' }))).toMatchObject({
      status: expected,
    });
  });

  // Exited is terminal: a runbook that exits early did not finish its recovery, and polling on would wait for ever.
  it.each(['Failed', 'TimedOut', 'Cancelled', 'Exited', 'CompletedWithFailure'])(
    'fails with ActionFailedError when the automation ends %s',
    async (status) => {
      aws.ssm
        .on(GetAutomationExecutionCommand)
        .resolves({ AutomationExecution: { AutomationExecutionStatus: status as never } });

      await expect(invoke(stateWatching({ kind: 'automation', executionId: 'exec-1' }))).rejects.toMatchObject({
        name: 'ActionFailedError',
      });
    },
  );

  it('has nothing to wait for after a dry run, and calls nothing', async () => {
    expect(await invoke(stateWatching({ kind: 'none' }))).toMatchObject({ status: 'done', attempt: 1 });
    expect(aws.autoScaling.calls()).toHaveLength(0);
  });
});
