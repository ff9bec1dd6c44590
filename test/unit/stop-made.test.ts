import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListTagsForResourceCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../functions/rollback-deployment/handler';
import { lambdaContext } from '../../local/lambda-context';
import { aws, awsError, guardTableKeepsIntents, readyToAct, resetAwsMocks } from '../helpers/aws-mocks';
import { loadEvent } from '../helpers/fixtures';

// Issue 26, third hostile review: a StopDeployment that never took effect is not recorded as made.
//  (a) An earlier attempt's stop answered 5xx (it may have gone through); before the retry the bad
//      deployment ran to `Succeeded`. A stop that landed leaves it `Stopped`: only that is "done".
//  (b) Its one attempt answered DeploymentAlreadyCompletedException: AWS stopped nothing.
// Either way the workflow skips NoLongerNeeded and pages a human, who sees the bad release live.

const invoke = (event: unknown) =>
  handler(event as never, lambdaContext('DeploymentRollbackFunction')) as Promise<Record<string, unknown>>;
const bad = { revisionType: 'S3', s3Location: { bucket: 'artifacts', key: 'web-1.5.0.zip', bundleType: 'zip' } };

let status = 'InProgress';
function codeDeployWorld() {
  aws.codeDeploy.on(GetDeploymentGroupCommand).resolves({
    deploymentGroupInfo: { lastAttemptedDeployment: { deploymentId: 'd-RUNNING01' } },
  });
  aws.codeDeploy.on(GetDeploymentCommand).callsFake(() => ({
    deploymentInfo: {
      deploymentId: 'd-RUNNING01',
      status,
      createTime: new Date('2026-11-23T10:00:00Z'),
      revision: bad,
      applicationName: 'web-app',
      deploymentGroupName: 'web-prod',
      creator: 'user',
    },
  }));
  aws.codeDeploy.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: 'selfhealing:managed', Value: 'true' }] });
}

type Apply = { prepared: Record<string, unknown>; guard: Record<string, unknown> };
function approvedStop(): Apply {
  const task = loadEvent<Apply>('deployment-rollback-apply');
  const prepared = {
    mode: 'stop',
    application: 'web-app',
    deploymentGroup: 'web-prod',
    deploymentId: 'd-RUNNING01',
    description: 'stop deployment d-RUNNING01 (InProgress) and let CodeDeploy roll back',
    approvalRequired: true,
    key: 'k-stop',
  };
  return { ...task, prepared, guard: { ...task.guard, approved: { key: 'k-stop' } } };
}

beforeEach(() => {
  resetAwsMocks();
  readyToAct();
  guardTableKeepsIntents();
  status = 'InProgress';
  codeDeployWorld();
});

describe('a stop that never took effect', () => {
  it('is not reported as applied when the deployment it was to stop ran to Succeeded', async () => {
    // Attempt 1: the SDK's three attempts all answer 503.
    aws.codeDeploy
      .on(StopDeploymentCommand)
      .rejects(Object.assign(awsError('ServiceUnavailable', 503), { $metadata: { httpStatusCode: 503, attempts: 3 } }));
    await expect(invoke(approvedStop())).rejects.toMatchObject({ name: 'AwsTransientError' });

    // Before the workflow's Retry, the bad deployment finishes: it was never stopped.
    status = 'Succeeded';
    const second = await invoke(approvedStop()).then(
      (applied) => ({ applied: applied.applied, description: applied.description }),
      (error: Error) => ({ error: error.name }),
    );

    expect(second).toEqual({ error: 'NoLongerNeeded' });
  });

  it('is not reported as applied when its one attempt says the deployment had already completed (and gives its claim back)', async () => {
    aws.codeDeploy.on(StopDeploymentCommand).rejects(
      Object.assign(awsError('DeploymentAlreadyCompletedException', 400), {
        $metadata: { httpStatusCode: 400, attempts: 1 },
      }),
    );

    const outcome = await invoke(approvedStop()).then(
      (applied) => ({ applied: applied.applied, description: applied.description }),
      (error: Error) => ({ error: error.name }),
    );

    expect(outcome).toEqual({ error: 'NoLongerNeeded' });
    // Nothing was made: the claim is given back (no cooldown, no budget spent).
    const writes = aws.dynamoDb.commandCalls(UpdateCommand).map((c) => String(c.args[0].input.UpdateExpression));
    expect(writes.some((w) => w.startsWith('REMOVE intentAt'))).toBe(true);
  });
});
