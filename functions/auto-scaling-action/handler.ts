import * as z from 'zod';
import { alreadyApplied, applyScaling, groupOfInstance, groupSize } from '../aws/auto-scaling';
import { assertStillActionable } from '../aws/alarms';
import { beforeChange, claimChange } from '../aws/preflight';
import { InvalidInputError } from '../domain/errors';
import { type Applied, PlannedStateSchema, wouldApply } from '../domain/execution-state';
import { GuardSchema } from '../domain/guard-schema';
import {
  PreparedAutoScalingSchema,
  type PreparedAutoScaling,
  planReplacement,
  planScaling,
  scalingCall,
  scalingWatch,
} from '../domain/scaling';
import { clock } from '../platform/clock';
import { stackDryRun } from '../platform/env';
import { workflowTask } from '../platform/middleware';
import { logger } from '../platform/powertools';

export { PreparedAutoScalingSchema, type PreparedAutoScaling };

export const AutoScalingTaskSchema = z.discriminatedUnion('operation', [
  PlannedStateSchema.extend({ operation: z.literal('prepare') }),
  PlannedStateSchema.extend({
    operation: z.literal('apply'),
    prepared: PreparedAutoScalingSchema,
    guard: GuardSchema.optional(),
  }),
]);
export type AutoScalingTask = z.infer<typeof AutoScalingTaskSchema>;

/** Read-only: describes the target and computes the absolute change to make. */
export async function prepare(task: Extract<AutoScalingTask, { operation: 'prepare' }>): Promise<PreparedAutoScaling> {
  const action = task.plan.action;
  if (action?.type === 'scale-out' || action?.type === 'scale-in')
    return planScaling(action, await groupSize(action.autoScalingGroupName), task.plan);
  if (action?.type === 'replace-instance')
    return planReplacement(action.instanceId, await groupOfInstance(action.instanceId), task.plan);
  throw new InvalidInputError(`Auto Scaling action task cannot run ${action?.type ?? 'no action'}`);
}

/** The one mutating call, with the target computed by prepare; a dry run describes it instead. */
export async function apply(task: Extract<AutoScalingTask, { operation: 'apply' }>): Promise<Applied> {
  const { prepared, plan } = task;
  const dryRun = plan.dryRun || stackDryRun();
  const appliedAt = clock.now().toISOString();
  const call = scalingCall(prepared);
  const watch = scalingWatch(prepared);
  // The stale-incident check, also in a dry run: it is part of the decision being rehearsed.
  if (dryRun) {
    const fresh = await assertStillActionable(task, clock.now());
    logger.info('Dry run: not calling Auto Scaling', { call, fresh });
    return wouldApply(prepared.description, call, appliedAt);
  }
  // Retry-safe by a state check: an earlier attempt whose call went through (then timed out or
  // crashed before returning) left the target where we want it; do not call again.
  const { found: already } = await beforeChange(task, () => alreadyApplied(prepared));
  if (already) {
    logger.info('Action already applied by an earlier attempt', { call, already });
    const description = `${prepared.description} (already applied: ${already})`;
    return { applied: true, dryRun, description, call, watch, appliedAt };
  }
  await claimChange(task, call.operation);
  await applyScaling(prepared);
  logger.info('Applied Auto Scaling action', { call });
  return { applied: true, dryRun, description: prepared.description, call, watch, appliedAt };
}

export async function autoScalingTask(task: AutoScalingTask): Promise<PreparedAutoScaling | Applied> {
  logger.appendKeys({ incidentId: task.incident.id });
  return task.operation === 'prepare' ? prepare(task) : apply(task);
}

export const handler = workflowTask(AutoScalingTaskSchema, autoScalingTask);
