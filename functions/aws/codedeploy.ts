import {
  BatchGetDeploymentsCommand,
  CreateDeploymentCommand,
  type DeploymentGroupInfo,
  type DeploymentInfo,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
  type ListDeploymentsCommandInput,
  ListTagsForResourceCommand,
  type RevisionLocation,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { callAws } from './aws-errors';
import { codeDeploy, codeDeployOneAttempt } from './clients/codedeploy';
import {
  InvalidInputError,
  NoLongerNeeded,
  NoRollbackTargetError,
  TargetNotFoundError,
  TargetNotManagedError,
} from '../domain/errors';
import { MANAGED_TAG, type PreparedRollback, deploymentGroupArn } from '../domain/rollback';
import type { LiveDeployment } from '../domain/safety-kernel';
import { settleAll } from '../platform/settle';

// Every CodeDeploy read and write the platform makes: the deployment stopped, the good revision
// redeployed, the recent deployments correlated with an alarm.

export async function getDeployment(deploymentId: string): Promise<DeploymentInfo> {
  const out = await callAws('CodeDeploy.GetDeployment', () =>
    codeDeploy.send(new GetDeploymentCommand({ deploymentId })),
  );
  if (!out.deploymentInfo) throw new TargetNotFoundError(`Deployment ${deploymentId} does not exist`);
  return out.deploymentInfo;
}

export async function getDeploymentGroup(application: string, deploymentGroup: string): Promise<DeploymentGroupInfo> {
  const out = await callAws('CodeDeploy.GetDeploymentGroup', () =>
    codeDeploy.send(
      new GetDeploymentGroupCommand({ applicationName: application, deploymentGroupName: deploymentGroup }),
    ),
  ).catch((error: unknown) => {
    if (error instanceof Error && /DoesNotExist/.test(error.name)) {
      throw new TargetNotFoundError(`Deployment group ${application}/${deploymentGroup} does not exist`, {
        cause: error,
      });
    }
    throw error;
  });
  return out.deploymentGroupInfo ?? {};
}

/** Up to 25 of the group's deployments with these statuses (newest first, as CodeDeploy lists them), described. */
export async function listDeployments(
  query: Required<
    Pick<ListDeploymentsCommandInput, 'applicationName' | 'deploymentGroupName' | 'includeOnlyStatuses'>
  > &
    Pick<ListDeploymentsCommandInput, 'createTimeRange'>,
  excluding?: string,
): Promise<DeploymentInfo[]> {
  const listed = await callAws('CodeDeploy.ListDeployments', () => codeDeploy.send(new ListDeploymentsCommand(query)));
  const ids = (listed.deployments ?? []).filter((id) => id !== excluding).slice(0, 25);
  if (ids.length === 0) return [];
  const batch = await callAws('CodeDeploy.BatchGetDeployments', () =>
    codeDeploy.send(new BatchGetDeploymentsCommand({ deploymentIds: ids })),
  );
  return batch.deploymentsInfo ?? [];
}

/**
 * StopDeployment has no resource type, so IAM can only grant it on "*": the role cannot limit it to
 * managed groups as it does CreateDeployment. These are the same checks, made right before the stop:
 * the deployment still belongs to the group this execution locked, and that group is managed.
 */
export async function assertStoppable(
  prepared: Extract<PreparedRollback, { mode: 'stop' }>,
  functionArn: string,
): Promise<void> {
  const resourceArn = deploymentGroupArn(functionArn, prepared.application, prepared.deploymentGroup);
  const [deployment, tagged] = await settleAll([
    getDeployment(prepared.deploymentId),
    callAws('CodeDeploy.ListTagsForResource', () =>
      codeDeploy.send(new ListTagsForResourceCommand({ ResourceArn: resourceArn })),
    ),
  ]);
  if (
    deployment.applicationName !== prepared.application ||
    deployment.deploymentGroupName !== prepared.deploymentGroup
  ) {
    throw new InvalidInputError(
      `Deployment ${prepared.deploymentId} belongs to ${deployment.applicationName}/${deployment.deploymentGroupName}, not to ${prepared.application}/${prepared.deploymentGroup}`,
    );
  }
  if (!tagged.Tags?.some((tag) => tag.Key === MANAGED_TAG && tag.Value === 'true')) {
    throw new TargetNotManagedError(
      `${prepared.application}/${prepared.deploymentGroup} is not tagged ${MANAGED_TAG}=true: not stopping its deployment`,
    );
  }
}

/** Stops a running deployment with CodeDeploy's auto-rollback. A retry after a stop that went through is accepted. */
/**
 * One attempt (the kernel decides a retry): "already completed" then means this call stopped
 * nothing, which the workflow records as such rather than as a stop.
 */
export async function stopDeployment(deploymentId: string): Promise<void> {
  await callAws('CodeDeploy.StopDeployment', () =>
    codeDeployOneAttempt.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true })),
  ).catch((error: unknown) => {
    if (error instanceof Error && error.name === 'DeploymentAlreadyCompletedException')
      throw new NoLongerNeeded(`${deploymentId} had already completed: nothing was stopped`, { cause: error });
    throw error;
  });
}

/** Creates the rollback deployment, once: the SDK does not retry it (a retry of a create that went through would deploy twice). */
export async function createDeployment(input: {
  applicationName: string;
  deploymentGroupName: string;
  revision: RevisionLocation;
  description: string;
}): Promise<string> {
  const created = await callAws('CodeDeploy.CreateDeployment', () =>
    codeDeployOneAttempt.send(new CreateDeploymentCommand(input)),
  );
  if (!created.deploymentId) throw new TargetNotFoundError('CreateDeployment returned no deployment id');
  return created.deploymentId;
}

/** The group's last attempted deployment and, read only when it is needed, the candidates to roll back to. */
export async function rollbackFacts(
  application: string,
  deploymentGroup: string,
): Promise<{ latest: DeploymentInfo & { deploymentId: string }; goodCandidates: () => Promise<DeploymentInfo[]> }> {
  const group = await getDeploymentGroup(application, deploymentGroup);
  const latestId = group.lastAttemptedDeployment?.deploymentId;
  if (!latestId) throw new NoRollbackTargetError(`${application}/${deploymentGroup} has never been deployed`);
  const latest = { ...(await getDeployment(latestId)), deploymentId: latestId };
  const lastSuccessfulId = group.lastSuccessfulDeployment?.deploymentId;
  const goodCandidates = async () =>
    latest.status === 'Succeeded'
      ? listDeployments(
          { applicationName: application, deploymentGroupName: deploymentGroup, includeOnlyStatuses: ['Succeeded'] },
          latestId,
        )
      : lastSuccessfulId
        ? [await getDeployment(lastSuccessfulId)]
        : [];
  return { latest, goodCandidates };
}

/** The deployment group's newest (latest attempted) deployment, as the kernel compares it with the prepared rollback. */
export async function latestDeployment(
  application: string,
  deploymentGroup: string,
): Promise<LiveDeployment | undefined> {
  const group = await getDeploymentGroup(application, deploymentGroup);
  const latestId = group.lastAttemptedDeployment?.deploymentId;
  if (!latestId) return undefined;
  const latest = await getDeployment(latestId);
  return {
    id: latestId,
    ...(latest.status ? { status: latest.status } : {}),
    ...(latest.description ? { description: latest.description } : {}),
    ...(latest.createTime ? { createdAt: latest.createTime.toISOString() } : {}),
    ...(latest.creator ? { creator: latest.creator } : {}),
    group: {
      autoScalingGroups: (group.autoScalingGroups ?? []).flatMap((g) => (g.name ? [g.name] : [])),
      alarms: (group.alarmConfiguration?.alarms ?? []).flatMap((a) => (a.name ? [a.name] : [])),
    },
  };
}
