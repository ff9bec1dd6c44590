import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { type ChangeTask, MAX_PREPARATIONS, type Reads, act, approvedBasis, preflight } from '../aws/preflight';
import { assertStoppable, createDeployment, latestDeployment, rollbackFacts, stopDeployment } from '../aws/codedeploy';
import { InvalidInputError, NoLongerNeeded, NoRollbackTargetError, skipError } from '../domain/errors';
import { type Applied, PlannedStateSchema, wouldApply } from '../domain/execution-state';
import { GuardSchema } from '../domain/guard-schema';
import {
  DEPLOYMENT_RUNNING,
  PreparedRollbackSchema,
  type PreparedRollback,
  assertNotOwnRollback,
  chooseRollback,
} from '../domain/rollback';
import { type Call, atPrepare } from '../domain/safety-kernel';
import { clock } from '../platform/clock';
import { stackDryRun } from '../platform/env';
import { workflowTask } from '../platform/middleware';
import { logger } from '../platform/powertools';
import { settleAll } from '../platform/settle';

export { PreparedRollbackSchema, type PreparedRollback };

export const RollbackTaskSchema = z.discriminatedUnion('operation', [
  PlannedStateSchema.extend({ operation: z.literal('prepare'), guard: GuardSchema.optional() }),
  PlannedStateSchema.extend({
    operation: z.literal('apply'),
    prepared: PreparedRollbackSchema,
    guard: GuardSchema.optional(),
  }),
]);
export type RollbackTask = z.infer<typeof RollbackTaskSchema>;

const readsFor = (target: { application: string; deploymentGroup: string }): Reads => ({
  latestDeployment: () => latestDeployment(target.application, target.deploymentGroup),
});

/** Read-only: what CodeDeploy reports, the rollback chosen from it, and the kernel's say on it. */
export async function prepare(task: Extract<RollbackTask, { operation: 'prepare' }>): Promise<PreparedRollback> {
  const action = task.plan.action;
  if (action?.type !== 'rollback-deployment')
    throw new InvalidInputError(`Rollback task cannot run ${action?.type ?? 'no action'}`);
  const round = task.guard?.round?.n ?? 0;
  if (round >= MAX_PREPARATIONS)
    throw new NoLongerNeeded(`prepared ${round} times and the deployment group changed each time: a human decides`);
  const { latest, goodCandidates } = await rollbackFacts(action.application, action.deploymentGroup);
  assertNotOwnRollback(action, latest);
  const running = latest.status !== undefined && DEPLOYMENT_RUNNING.has(latest.status);
  const chosen = chooseRollback(action, latest, running ? undefined : await goodCandidates());
  if (!chosen)
    throw new NoRollbackTargetError(
      `${action.application}/${action.deploymentGroup} has no earlier successful revision to roll back to`,
    );
  const { decision } = await preflight(task, readsFor(action), 'prepare', { rollback: chosen });
  if (decision.kind === 'stop') throw skipError(decision.reason, decision.why);
  // The description stays the choice's (which deployment, which revision); the kernel adds its say.
  const { approvalRequired, approvalReason, key, basis } = atPrepare(decision, task.plan, round);
  return { ...chosen, approvalRequired, ...(approvalReason ? { approvalReason } : {}), key, basis };
}

/** The mutating call, as the kernel decides it right before it: stop, or redeploy, while the deployment rolled back is still the live one. */
export async function apply(
  task: Extract<RollbackTask, { operation: 'apply' }>,
  functionArn: string,
): Promise<Applied> {
  const { prepared, plan } = task;
  const dryRun = plan.dryRun || stackDryRun();
  const appliedAt = clock.now().toISOString();
  const reads = readsFor(prepared);
  // StopDeployment has no resource type, so IAM cannot limit it: its group is checked here instead.
  const stoppable = prepared.mode === 'stop' ? assertStoppable(prepared, functionArn) : Promise.resolve();
  if (dryRun) {
    const [{ decision }] = await settleAll([preflight(task, reads, 'dry-run', { rollback: prepared }), stoppable]);
    if (decision.kind === 'stop') throw skipError(decision.reason, decision.why);
    if (decision.kind === 'noop') throw new NoLongerNeeded(decision.why);
    return wouldApply(prepared.description, decision.call, appliedAt);
  }
  const [read] = await settleAll([preflight(task, reads, 'call', { rollback: prepared }), stoppable]);
  const outcome = await act(
    task as ChangeTask,
    read,
    approvedBasis(task, prepared.basis),
    (call: Call) =>
      call.operation === 'CodeDeploy.StopDeployment'
        ? stopDeployment(String(call.input.deploymentId)).then(() => String(call.input.deploymentId))
        : createDeployment(call.input as unknown as Parameters<typeof createDeployment>[0]),
    (earlier) => preflight(task, reads, 'call', { rollback: prepared }, earlier),
  );
  if (!outcome.made) {
    logger.info('Rollback already made by an earlier attempt', { call: outcome.call, why: outcome.why });
    return {
      applied: true,
      dryRun,
      description: prepared.description,
      call: outcome.call,
      watch: outcome.watch,
      appliedAt,
    };
  }
  logger.info('Rollback made', { call: outcome.call, deploymentId: outcome.result });
  return {
    applied: true,
    dryRun,
    description: prepared.description,
    call: outcome.call,
    watch: { kind: 'deployment', deploymentId: outcome.result },
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
