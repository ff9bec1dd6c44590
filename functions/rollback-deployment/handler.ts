import {
  BatchGetDeploymentsCommand,
  CreateDeploymentCommand,
  type DeploymentInfo,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
  ListTagsForResourceCommand,
  type RevisionLocation,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { callAws } from '../aws/aws-errors';
import { codeDeploy, codeDeployOneAttempt } from '../aws/clients/codedeploy';
import { clock } from '../platform/clock';
import { stackDryRun } from '../platform/env';
import { InvalidInputError, NoRollbackTargetError, TargetNotFoundError, TargetNotManagedError } from '../domain/errors';
import { workflowTask } from '../platform/middleware';
import { logger } from '../platform/powertools';
import { type Applied, PlannedStateSchema, wouldApply } from '../domain/execution-state';
import { assertStillActionable, stillActionableAnd } from '../aws/alarms';

const IN_PROGRESS = new Set(['Created', 'Queued', 'InProgress', 'Baking', 'Ready']);

export const PreparedRollbackSchema = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('stop'),
    application: z.string(),
    deploymentGroup: z.string(),
    deploymentId: z.string(),
    description: z.string(),
  }),
  z.object({
    mode: z.literal('redeploy'),
    application: z.string(),
    deploymentGroup: z.string(),
    badDeploymentId: z.string(),
    goodDeploymentId: z.string(),
    revision: z.record(z.string(), z.unknown()),
    description: z.string(),
  }),
]);
export type PreparedRollback = z.infer<typeof PreparedRollbackSchema>;

export const RollbackTaskSchema = z.discriminatedUnion('operation', [
  PlannedStateSchema.extend({ operation: z.literal('prepare') }),
  PlannedStateSchema.extend({ operation: z.literal('apply'), prepared: PreparedRollbackSchema }),
]);
export type RollbackTask = z.infer<typeof RollbackTaskSchema>;

function sameRevision(a: RevisionLocation | undefined, b: RevisionLocation | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

async function getDeployment(deploymentId: string): Promise<DeploymentInfo> {
  const out = await callAws('CodeDeploy.GetDeployment', () =>
    codeDeploy.send(new GetDeploymentCommand({ deploymentId })),
  );
  if (!out.deploymentInfo) throw new TargetNotFoundError(`Deployment ${deploymentId} does not exist`);
  return out.deploymentInfo;
}

/** Newest successful deployment of the group created before `before` whose revision differs from `live`. */
async function lastGoodDeployment(
  application: string,
  deploymentGroup: string,
  live: DeploymentInfo,
): Promise<DeploymentInfo | undefined> {
  const listed = await callAws('CodeDeploy.ListDeployments', () =>
    codeDeploy.send(
      new ListDeploymentsCommand({
        applicationName: application,
        deploymentGroupName: deploymentGroup,
        includeOnlyStatuses: ['Succeeded'],
      }),
    ),
  );
  const ids = (listed.deployments ?? []).filter((id) => id !== live.deploymentId).slice(0, 25);
  if (ids.length === 0) return undefined;
  const batch = await callAws('CodeDeploy.BatchGetDeployments', () =>
    codeDeploy.send(new BatchGetDeploymentsCommand({ deploymentIds: ids })),
  );
  const liveCreated = live.createTime?.getTime() ?? Number.POSITIVE_INFINITY;
  return (batch.deploymentsInfo ?? [])
    .filter((d) => (d.createTime?.getTime() ?? 0) < liveCreated && !sameRevision(d.revision, live.revision))
    .sort((a, b) => (b.createTime?.getTime() ?? 0) - (a.createTime?.getTime() ?? 0))[0];
}

/**
 * Read-only. A deployment still running → stop it with CodeDeploy's auto-rollback. Otherwise the
 * group runs a bad revision → redeploy the newest earlier successful revision.
 */
export async function prepare(task: Extract<RollbackTask, { operation: 'prepare' }>): Promise<PreparedRollback> {
  const action = task.plan.action;
  if (action?.type !== 'rollback-deployment')
    throw new InvalidInputError(`Rollback task cannot run ${action?.type ?? 'no action'}`);
  const { application, deploymentGroup } = action;
  const group = await callAws('CodeDeploy.GetDeploymentGroup', () =>
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
  const lastAttemptedId = group.deploymentGroupInfo?.lastAttemptedDeployment?.deploymentId;
  if (!lastAttemptedId) throw new NoRollbackTargetError(`${application}/${deploymentGroup} has never been deployed`);
  const latest = await getDeployment(lastAttemptedId);

  if (latest.status && IN_PROGRESS.has(latest.status)) {
    return {
      mode: 'stop',
      application,
      deploymentGroup,
      deploymentId: lastAttemptedId,
      description: `stop deployment ${lastAttemptedId} (${latest.status}) and let CodeDeploy roll back`,
    };
  }
  const good =
    latest.status === 'Succeeded'
      ? await lastGoodDeployment(application, deploymentGroup, latest)
      : await (async () => {
          const id = group.deploymentGroupInfo?.lastSuccessfulDeployment?.deploymentId;
          return id ? getDeployment(id) : undefined;
        })();
  if (!good?.deploymentId || !good.revision) {
    throw new NoRollbackTargetError(
      `${application}/${deploymentGroup} has no earlier successful revision to roll back to`,
    );
  }
  return {
    mode: 'redeploy',
    application,
    deploymentGroup,
    badDeploymentId: lastAttemptedId,
    goodDeploymentId: good.deploymentId,
    revision: good.revision as Record<string, unknown>,
    description: `redeploy the revision of ${good.deploymentId} over ${lastAttemptedId} (${latest.status})`,
  };
}

function rollbackDescription(incidentId: string, prepared: Extract<PreparedRollback, { mode: 'redeploy' }>): string {
  return `SelfHealing rollback for incident ${incidentId}: revision of ${prepared.goodDeploymentId} replaces ${prepared.badDeploymentId}`;
}

/** The ARN of a deployment group in this function's own account and Region. */
function deploymentGroupArn(functionArn: string, application: string, deploymentGroup: string): string {
  const [, partition = 'aws', , region = '', account = ''] = functionArn.split(':');
  return `arn:${partition}:codedeploy:${region}:${account}:deploymentgroup:${application}/${deploymentGroup}`;
}

/**
 * StopDeployment has no resource type, so IAM can only grant it on "*": the role cannot limit it to
 * managed groups as it does CreateDeployment. These are the same checks, made right before the stop:
 * the deployment still belongs to the group this execution locked, and that group is managed.
 */
async function assertStoppable(
  prepared: Extract<PreparedRollback, { mode: 'stop' }>,
  functionArn: string,
): Promise<void> {
  const resourceArn = deploymentGroupArn(functionArn, prepared.application, prepared.deploymentGroup);
  const [deployment, tagged] = await Promise.all([
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

const MANAGED_TAG = 'selfhealing:managed';

/** The mutating call. Retry-safe: a stop of a finished deployment is accepted, and a redeploy this incident already created is found by its description. */
export async function apply(
  task: Extract<RollbackTask, { operation: 'apply' }>,
  functionArn: string,
): Promise<Applied> {
  const { prepared, plan, incident } = task;
  const dryRun = plan.dryRun || stackDryRun();
  const appliedAt = clock.now().toISOString();
  if (prepared.mode === 'stop') {
    await stillActionableAnd(task, clock.now(), () => assertStoppable(prepared, functionArn));
    const call = {
      operation: 'CodeDeploy.StopDeployment',
      input: { deploymentId: prepared.deploymentId, autoRollbackEnabled: true },
    };
    if (dryRun) return wouldApply(prepared.description, call, appliedAt);
    await callAws(call.operation, () =>
      codeDeploy.send(new StopDeploymentCommand({ deploymentId: prepared.deploymentId, autoRollbackEnabled: true })),
    ).catch((error: unknown) => {
      // A retry after a stop that went through: the deployment is already finished.
      if (error instanceof Error && error.name === 'DeploymentAlreadyCompletedException') return undefined;
      throw error;
    });
    logger.info('Stopped deployment with auto-rollback', { call });
    return {
      applied: true,
      dryRun,
      description: prepared.description,
      call,
      watch: { kind: 'deployment', deploymentId: prepared.deploymentId },
      appliedAt,
    };
  }

  const description = rollbackDescription(incident.id, prepared);
  const input = {
    applicationName: prepared.application,
    deploymentGroupName: prepared.deploymentGroup,
    revision: prepared.revision as RevisionLocation,
    description,
  };
  const call = { operation: 'CodeDeploy.CreateDeployment', input };
  if (dryRun) {
    await assertStillActionable(task, clock.now());
    return wouldApply(prepared.description, call, appliedAt);
  }

  const { found: group } = await stillActionableAnd(task, clock.now(), () =>
    callAws('CodeDeploy.GetDeploymentGroup', () =>
      codeDeploy.send(
        new GetDeploymentGroupCommand({
          applicationName: prepared.application,
          deploymentGroupName: prepared.deploymentGroup,
        }),
      ),
    ),
  );
  const latestId = group.deploymentGroupInfo?.lastAttemptedDeployment?.deploymentId;
  if (latestId && latestId !== prepared.badDeploymentId) {
    const latest = await getDeployment(latestId);
    if (latest.description === description) {
      logger.info('Rollback deployment already created by an earlier attempt', { deploymentId: latestId });
      return {
        applied: true,
        dryRun,
        description: prepared.description,
        call,
        watch: { kind: 'deployment', deploymentId: latestId },
        appliedAt,
      };
    }
  }
  const created = await callAws(call.operation, () => codeDeployOneAttempt.send(new CreateDeploymentCommand(input)));
  if (!created.deploymentId) throw new TargetNotFoundError('CreateDeployment returned no deployment id');
  logger.info('Created rollback deployment', { deploymentId: created.deploymentId });
  return {
    applied: true,
    dryRun,
    description: prepared.description,
    call,
    watch: { kind: 'deployment', deploymentId: created.deploymentId },
    appliedAt,
  };
}

export async function rollbackTask(
  task: RollbackTask,
  context: Pick<Context, 'invokedFunctionArn'>,
): Promise<PreparedRollback | Applied> {
  logger.appendKeys({ incidentId: task.incident.id });
  return task.operation === 'prepare' ? prepare(task) : apply(task, context.invokedFunctionArn);
}

export const handler = workflowTask(RollbackTaskSchema, rollbackTask);
