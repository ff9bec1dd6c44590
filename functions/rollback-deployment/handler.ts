import type { RevisionLocation } from '@aws-sdk/client-codedeploy';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { assertStillActionable } from '../aws/alarms';
import { beforeChange, claimChange } from '../aws/preflight';
import {
  assertStoppable,
  createDeployment,
  ownRollbackCreated,
  rollbackFacts,
  stopDeployment,
} from '../aws/codedeploy';
import { InvalidInputError, NoRollbackTargetError } from '../domain/errors';
import { type Applied, PlannedStateSchema, wouldApply } from '../domain/execution-state';
import { GuardSchema } from '../domain/guard-schema';
import {
  DEPLOYMENT_RUNNING,
  PreparedRollbackSchema,
  type PreparedRollback,
  assertNotOwnRollback,
  chooseRollback,
  rollbackDescription,
} from '../domain/rollback';
import { clock } from '../platform/clock';
import { stackDryRun } from '../platform/env';
import { workflowTask } from '../platform/middleware';
import { logger } from '../platform/powertools';

export { PreparedRollbackSchema, type PreparedRollback };

export const RollbackTaskSchema = z.discriminatedUnion('operation', [
  PlannedStateSchema.extend({ operation: z.literal('prepare') }),
  PlannedStateSchema.extend({
    operation: z.literal('apply'),
    prepared: PreparedRollbackSchema,
    guard: GuardSchema.optional(),
  }),
]);
export type RollbackTask = z.infer<typeof RollbackTaskSchema>;

/** Read-only: what CodeDeploy reports, and the rollback chosen from it. */
export async function prepare(task: Extract<RollbackTask, { operation: 'prepare' }>): Promise<PreparedRollback> {
  const action = task.plan.action;
  if (action?.type !== 'rollback-deployment')
    throw new InvalidInputError(`Rollback task cannot run ${action?.type ?? 'no action'}`);
  const { latest, goodCandidates } = await rollbackFacts(action.application, action.deploymentGroup);
  assertNotOwnRollback(action, latest);
  const running = latest.status !== undefined && DEPLOYMENT_RUNNING.has(latest.status);
  const chosen = chooseRollback(action, latest, running ? undefined : await goodCandidates());
  if (!chosen)
    throw new NoRollbackTargetError(
      `${action.application}/${action.deploymentGroup} has no earlier successful revision to roll back to`,
    );
  return chosen;
}

/** The mutating call. Retry-safe: a stop of a finished deployment is accepted, and a redeploy this incident already created is found by its description. */
export async function apply(
  task: Extract<RollbackTask, { operation: 'apply' }>,
  functionArn: string,
): Promise<Applied> {
  const { prepared, plan, incident } = task;
  const dryRun = plan.dryRun || stackDryRun();
  const appliedAt = clock.now().toISOString();
  const applied = (call: Applied['call'], deploymentId: string): Applied => ({
    applied: true,
    dryRun,
    description: prepared.description,
    call,
    watch: { kind: 'deployment', deploymentId },
    appliedAt,
  });
  if (prepared.mode === 'stop') {
    const { deploymentId } = prepared;
    const call = { operation: 'CodeDeploy.StopDeployment', input: { deploymentId, autoRollbackEnabled: true } };
    if (dryRun) {
      await assertStillActionable(task, clock.now());
      await assertStoppable(prepared, functionArn);
      return wouldApply(prepared.description, call, appliedAt);
    }
    await beforeChange(task, () => assertStoppable(prepared, functionArn));
    await claimChange(task, call.operation);
    await stopDeployment(deploymentId);
    logger.info('Stopped deployment with auto-rollback', { call });
    return applied(call, deploymentId);
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
  const { found: earlier } = await beforeChange(task, () => ownRollbackCreated(prepared, description));
  if (earlier) {
    logger.info('Rollback deployment already created by an earlier attempt', { deploymentId: earlier });
    return applied(call, earlier);
  }
  await claimChange(task, call.operation);
  const deploymentId = await createDeployment(input);
  logger.info('Created rollback deployment', { deploymentId });
  return applied(call, deploymentId);
}

export async function rollbackTask(
  task: RollbackTask,
  context: Pick<Context, 'invokedFunctionArn'>,
): Promise<PreparedRollback | Applied> {
  logger.appendKeys({ incidentId: task.incident.id });
  return task.operation === 'prepare' ? prepare(task) : apply(task, context.invokedFunctionArn);
}

export const handler = workflowTask(RollbackTaskSchema, rollbackTask);
