import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  BatchGetDeploymentsCommand,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
  ListTagsForResourceCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { handler } from '../../functions/rollback-deployment/handler';
import { lambdaContext } from '../../local/lambda-context';
import {
  alarmAnsweredAlongside,
  alarmIn,
  aws,
  awsError,
  earlierAttemptClaimed,
  readyToAct,
  resetAwsMocks,
} from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';

const invoke = (event: unknown) =>
  handler(event as never, lambdaContext('DeploymentRollbackFunction')) as Promise<Record<string, unknown>>;
const good = { revisionType: 'S3', s3Location: { bucket: 'artifacts', key: 'web-1.4.1.zip', bundleType: 'zip' } };
const bad = { revisionType: 'S3', s3Location: { bucket: 'artifacts', key: 'web-1.5.0.zip', bundleType: 'zip' } };

function groupWithLatest(deploymentId: string, lastSuccessful?: string) {
  aws.codeDeploy.on(GetDeploymentGroupCommand).resolves({
    deploymentGroupInfo: {
      lastAttemptedDeployment: { deploymentId },
      ...(lastSuccessful ? { lastSuccessfulDeployment: { deploymentId: lastSuccessful } } : {}),
    },
  });
}
const deployment = (
  deploymentId: string,
  status: string,
  created: string,
  revision: object = bad,
  extra: object = {},
) =>
  aws.codeDeploy.on(GetDeploymentCommand, { deploymentId }).resolves({
    deploymentInfo: {
      deploymentId,
      status,
      createTime: new Date(created),
      revision,
      applicationName: 'web-app',
      deploymentGroupName: 'web-prod',
      ...extra,
    },
  } as never);
const WEB_PROD_ARN = 'arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:web-app/web-prod';
const groupTags = (tags: Record<string, string>) =>
  aws.codeDeploy
    .on(ListTagsForResourceCommand, { ResourceArn: WEB_PROD_ARN })
    .resolves({ Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });
const stopPrepared = {
  mode: 'stop',
  application: 'web-app',
  deploymentGroup: 'web-prod',
  deploymentId: 'd-RUNNING01',
  description: 'stop',
};

type Apply = { prepared: Record<string, unknown>; guard: Record<string, unknown>; incident: { id: string } };

/** The apply step after a human approved what prepare made (the workflow binds the approval to its key). */
function approved(prepared: Record<string, unknown>): Apply {
  const task = loadEvent<Apply>('deployment-rollback-apply');
  return { ...task, prepared, guard: { ...task.guard, approved: { key: prepared.key } } };
}

beforeEach(() => {
  resetAwsMocks();
  readyToAct();
});

describe('DeploymentRollbackFunction', () => {
  it('stops a deployment still in progress and lets CodeDeploy roll back', async () => {
    groupWithLatest('d-RUNNING01');
    deployment('d-RUNNING01', 'InProgress', '2026-11-23T10:00:00Z');
    groupTags({ 'selfhealing:managed': 'true' });

    const prepared = await invoke(loadEvent('deployment-rollback-prepare'));
    const applied = await invoke(approved(prepared));

    expect(prepared).toMatchObject({ mode: 'stop', deploymentId: 'd-RUNNING01', approvalRequired: true });
    expect(aws.codeDeploy).toHaveReceivedCommandWith(ListTagsForResourceCommand, { ResourceArn: WEB_PROD_ARN });
    expect(aws.codeDeploy).toHaveReceivedCommandWith(StopDeploymentCommand, {
      deploymentId: 'd-RUNNING01',
      autoRollbackEnabled: true,
    });
    expect(applied).toMatchObject({ applied: true, watch: { kind: 'deployment', deploymentId: 'd-RUNNING01' } });
  });

  it('accepts a stop retried after it went through', async () => {
    const task = loadEvent<Apply>('deployment-rollback-apply');
    earlierAttemptClaimed(String(task.guard.owner), {
      operation: 'CodeDeploy.StopDeployment',
      input: { deploymentId: 'd-RUNNING01', autoRollbackEnabled: true },
    });
    groupWithLatest('d-RUNNING01');
    deployment('d-RUNNING01', 'Stopped', '2026-11-23T10:00:00Z');
    groupTags({ 'selfhealing:managed': 'true' });

    const applied = await invoke({ ...task, prepared: stopPrepared });

    expect(aws.codeDeploy).not.toHaveReceivedCommand(StopDeploymentCommand);
    expect(applied).toMatchObject({ applied: true, watch: { kind: 'deployment', deploymentId: 'd-RUNNING01' } });
  });

  // StopDeployment can only be granted on "*" (it has no IAM resource type): the code makes the checks the role cannot.
  it('does not stop a deployment of a group that is not tagged selfhealing:managed=true', async () => {
    groupWithLatest('d-RUNNING01');
    deployment('d-RUNNING01', 'InProgress', '2026-11-23T10:00:00Z');
    groupTags({ team: 'payments' });

    await expect(
      invoke({ ...loadEvent<object>('deployment-rollback-apply'), prepared: stopPrepared }),
    ).rejects.toMatchObject({ name: 'TargetNotManagedError' });
    expect(aws.codeDeploy).not.toHaveReceivedCommand(StopDeploymentCommand);
  });

  it('does not stop a deployment that belongs to another group than the one it locked', async () => {
    groupWithLatest('d-RUNNING01');
    deployment('d-RUNNING01', 'InProgress', '2026-11-23T10:00:00Z', bad, {
      applicationName: 'billing',
      deploymentGroupName: 'billing-prod',
    });
    groupTags({ 'selfhealing:managed': 'true' });

    await expect(
      invoke({ ...loadEvent<object>('deployment-rollback-apply'), prepared: stopPrepared }),
    ).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(aws.codeDeploy).not.toHaveReceivedCommand(StopDeploymentCommand);
  });

  it('redeploys the newest earlier successful revision when the bad one already succeeded', async () => {
    groupWithLatest('d-BAD000002');
    deployment('d-BAD000002', 'Succeeded', '2026-11-23T10:00:00Z');
    aws.codeDeploy
      .on(ListDeploymentsCommand)
      .resolves({ deployments: ['d-BAD000002', 'd-SAME00000', 'd-GOOD00001', 'd-OLDER0000'] });
    aws.codeDeploy.on(BatchGetDeploymentsCommand).resolves({
      deploymentsInfo: [
        { deploymentId: 'd-SAME00000', createTime: new Date('2026-11-22T10:00:00Z'), revision: bad },
        { deploymentId: 'd-GOOD00001', createTime: new Date('2026-11-20T10:00:00Z'), revision: good },
        {
          deploymentId: 'd-OLDER0000',
          createTime: new Date('2026-11-01T10:00:00Z'),
          revision: { ...good, s3Location: { ...good.s3Location, key: 'web-1.3.0.zip' } },
        },
      ],
    } as never);

    const prepared = await invoke(loadEvent('deployment-rollback-prepare'));

    expect(aws.codeDeploy).toHaveReceivedCommandWith(ListDeploymentsCommand, {
      applicationName: 'web-app',
      deploymentGroupName: 'web-prod',
      includeOnlyStatuses: ['Succeeded'],
    });
    expect(prepared).toMatchObject({
      mode: 'redeploy',
      badDeploymentId: 'd-BAD000002',
      goodDeploymentId: 'd-GOOD00001',
      revision: good,
    });
  });

  it('redeploys the last successful revision after a failed deployment', async () => {
    groupWithLatest('d-FAILED002', 'd-GOOD00001');
    deployment('d-FAILED002', 'Failed', '2026-11-23T10:00:00Z');
    deployment('d-GOOD00001', 'Succeeded', '2026-11-20T10:00:00Z', good);

    expect(await invoke(loadEvent('deployment-rollback-prepare'))).toMatchObject({
      mode: 'redeploy',
      goodDeploymentId: 'd-GOOD00001',
      revision: good,
    });
  });

  // Issue 17, item 8: after the platform's own rollback, "last good" was the bad revision again.
  it('never rolls back its own rollback: a human decides what comes next', async () => {
    groupWithLatest('d-ROLLBACK1');
    deployment('d-ROLLBACK1', 'Succeeded', '2026-11-23T11:00:00Z', good, {
      description: 'SelfHealing rollback for incident alarm-x: revision of d-GOOD00001 replaces d-BAD000002',
    });
    aws.codeDeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-ROLLBACK1', 'd-BAD000002', 'd-GOOD00001'] });

    await expect(invoke(loadEvent('deployment-rollback-prepare'))).rejects.toMatchObject({
      name: 'NoRollbackTargetError',
      message: expect.stringContaining("already runs this platform's rollback d-ROLLBACK1"),
    });
    expect(aws.codeDeploy).not.toHaveReceivedCommand(CreateDeploymentCommand);
  });

  it('never redeploys a revision the platform rolled back from, even one that later succeeded', async () => {
    const third = { ...good, s3Location: { ...good.s3Location, key: 'web-3.0.0.zip' } };
    groupWithLatest('d-NEWEST003');
    deployment('d-NEWEST003', 'Succeeded', '2026-11-23T10:00:00Z', third);
    aws.codeDeploy
      .on(ListDeploymentsCommand)
      .resolves({ deployments: ['d-NEWEST003', 'd-REDO00004', 'd-ROLLBACK1', 'd-BAD000002', 'd-GOOD00001'] });
    aws.codeDeploy.on(BatchGetDeploymentsCommand).resolves({
      deploymentsInfo: [
        // Someone redeployed the bad revision by hand, and it "succeeded" before the new release.
        { deploymentId: 'd-REDO00004', createTime: new Date('2026-11-23T09:45:00Z'), revision: bad },
        {
          deploymentId: 'd-ROLLBACK1',
          createTime: new Date('2026-11-23T09:30:00Z'),
          revision: good,
          description: 'SelfHealing rollback for incident alarm-x: revision of d-GOOD00001 replaces d-BAD000002',
        },
        { deploymentId: 'd-BAD000002', createTime: new Date('2026-11-23T09:00:00Z'), revision: bad },
        { deploymentId: 'd-GOOD00001', createTime: new Date('2026-11-20T10:00:00Z'), revision: good },
      ],
    } as never);

    expect(await invoke(loadEvent('deployment-rollback-prepare'))).toMatchObject({
      mode: 'redeploy',
      goodDeploymentId: 'd-ROLLBACK1',
      revision: good,
    });
  });

  it('fails with NoRollbackTargetError when there is nothing earlier to go back to', async () => {
    groupWithLatest('d-FIRST0001');
    deployment('d-FIRST0001', 'Succeeded', '2026-11-23T10:00:00Z');
    aws.codeDeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-FIRST0001'] });

    await expect(invoke(loadEvent('deployment-rollback-prepare'))).rejects.toMatchObject({
      name: 'NoRollbackTargetError',
    });
  });

  it('creates the rollback deployment once, and finds it again on a retry instead of creating another', async () => {
    groupWithLatest('d-BAD000002');
    deployment('d-BAD000002', 'Succeeded', '2026-11-23T10:00:00Z');
    aws.codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-NEW000003' });
    const task = loadEvent<{ incident: { id: string } }>('deployment-rollback-apply');

    const first = await invoke(task);
    const description = aws.codeDeploy.commandCalls(CreateDeploymentCommand)[0]?.args[0].input.description;
    groupWithLatest('d-NEW000003');
    deployment('d-NEW000003', 'InProgress', '2026-11-23T10:20:00Z', good, { description });
    const retry = await invoke(task);

    expect(aws.codeDeploy).toHaveReceivedCommandTimes(CreateDeploymentCommand, 1);
    expect(aws.codeDeploy).toHaveReceivedCommandWith(CreateDeploymentCommand, {
      applicationName: 'web-app',
      deploymentGroupName: 'web-prod',
      revision: {
        revisionType: 'S3',
        s3Location: { bucket: 'web-app-artifacts', key: 'web-app/1.4.1.zip', bundleType: 'zip' },
      },
    });
    expect(description).toContain(task.incident.id);
    expect(first).toMatchObject({ watch: { deploymentId: 'd-NEW000003' } });
    expect(retry).toMatchObject({ watch: { deploymentId: 'd-NEW000003' } });
  });

  it('re-reads the alarm and the deployment group together, one round trip before the redeploy', async () => {
    groupWithLatest('d-BAD000002');
    deployment('d-BAD000002', 'Succeeded', '2026-11-23T10:00:00Z');
    aws.codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-NEW000003' });
    alarmAnsweredAlongside(() => aws.codeDeploy.commandCalls(GetDeploymentGroupCommand).length > 0);

    await expect(invoke(loadEvent('deployment-rollback-apply'))).resolves.toMatchObject({
      watch: { deploymentId: 'd-NEW000003' },
    });
  });

  it('skips as AlreadyRecovered when the alarm is OK again, and deploys nothing', async () => {
    groupWithLatest('d-BAD000002');
    alarmAnsweredAlongside(() => aws.codeDeploy.commandCalls(GetDeploymentGroupCommand).length > 0, 'OK');

    await expect(invoke(loadEvent('deployment-rollback-apply'))).rejects.toMatchObject({ name: 'AlreadyRecovered' });
    expect(aws.codeDeploy).not.toHaveReceivedCommand(CreateDeploymentCommand);
  });

  it('makes no call in a dry run', async () => {
    groupWithLatest('d-BAD000002');
    deployment('d-BAD000002', 'Succeeded', '2026-11-23T10:00:00Z');
    const task = loadEvent<{ plan: { dryRun: boolean } }>('deployment-rollback-apply');
    task.plan.dryRun = true;

    expect(await invoke(task)).toMatchObject({ applied: false, call: { operation: 'CodeDeploy.CreateDeployment' } });
    expect(aws.codeDeploy).not.toHaveReceivedCommand(CreateDeploymentCommand);
    expect(aws.codeDeploy).not.toHaveReceivedCommand(StopDeploymentCommand);
  });

  // Issue 26: a person deployed 1.6.0 during the approval wait; the approved rollback then redeployed 1.4.1 over it.
  it('does not roll back over a newer deployment a person made during the approval wait (Superseded)', async () => {
    groupWithLatest('d-HUMAN0160');
    deployment('d-HUMAN0160', 'Succeeded', '2026-11-23T10:40:00Z', {
      ...good,
      s3Location: { ...good.s3Location, key: 'web-1.6.0.zip' },
    });

    await expect(invoke(loadEvent('deployment-rollback-apply'))).rejects.toMatchObject({
      name: 'Superseded',
      message: expect.stringContaining('d-HUMAN0160'),
    });
    expect(aws.codeDeploy).not.toHaveReceivedCommand(CreateDeploymentCommand);
  });

  it('does not stop a deployment that is no longer the newest one (Superseded)', async () => {
    groupWithLatest('d-HUMAN0160');
    deployment('d-HUMAN0160', 'InProgress', '2026-11-23T10:40:00Z');
    deployment('d-RUNNING01', 'InProgress', '2026-11-23T10:00:00Z');
    groupTags({ 'selfhealing:managed': 'true' });

    await expect(invoke(approved({ ...stopPrepared, approvalRequired: true, key: 'k' }))).rejects.toMatchObject({
      name: 'Superseded',
    });
    expect(aws.codeDeploy).not.toHaveReceivedCommand(StopDeploymentCommand);
  });

  // Issue 26: a count alarm went OK, then INSUFFICIENT_DATA (no errors, no data); the re-read only skipped on OK.
  it('does not roll back while the alarm reads INSUFFICIENT_DATA (NotInAlarm)', async () => {
    groupWithLatest('d-BAD000002');
    deployment('d-BAD000002', 'Succeeded', '2026-11-23T10:00:00Z');
    alarmIn('INSUFFICIENT_DATA');

    await expect(invoke(loadEvent('deployment-rollback-apply'))).rejects.toMatchObject({ name: 'NotInAlarm' });
    expect(aws.codeDeploy).not.toHaveReceivedCommand(CreateDeploymentCommand);
  });

  it('fails with TargetNotFoundError for an unknown deployment group', async () => {
    aws.codeDeploy.on(GetDeploymentGroupCommand).rejects(awsError('DeploymentGroupDoesNotExistException'));

    await expect(invoke(loadEvent('deployment-rollback-prepare'))).rejects.toMatchObject({
      name: 'TargetNotFoundError',
    });
  });
});
