import * as z from 'zod';
import { describeGroups, makeScalingCall } from '../aws/auto-scaling';
import { locateInstances } from '../aws/instances';
import { type ChangeTask, MAX_PREPARATIONS, type Reads, act, approvedBasis, preflight } from '../aws/preflight';
import { InvalidInputError, NoLongerNeeded, skipError } from '../domain/errors';
import { type Applied, PlannedStateSchema, wouldApply } from '../domain/execution-state';
import { GuardSchema } from '../domain/guard-schema';
import type { Action } from '../domain/policy/actions';
import { atPrepare } from '../domain/safety-kernel';
import { PreparedAutoScalingSchema, type PreparedAutoScaling } from '../domain/scaling';
import { clock } from '../platform/clock';
import { stackDryRun } from '../platform/env';
import { workflowTask } from '../platform/middleware';
import { logger } from '../platform/powertools';

export { PreparedAutoScalingSchema, type PreparedAutoScaling };

export const AutoScalingTaskSchema = z.discriminatedUnion('operation', [
  PlannedStateSchema.extend({ operation: z.literal('prepare'), guard: GuardSchema.optional() }),
  PlannedStateSchema.extend({
    operation: z.literal('apply'),
    prepared: PreparedAutoScalingSchema,
    guard: GuardSchema.optional(),
  }),
]);
export type AutoScalingTask = z.infer<typeof AutoScalingTaskSchema>;

type AutoScalingAction = Extract<Action, { type: 'scale-out' | 'scale-in' | 'replace-instance' }>;

function actionOf(task: AutoScalingTask): AutoScalingAction {
  const action = task.plan.action;
  if (action?.type === 'scale-out' || action?.type === 'scale-in' || action?.type === 'replace-instance') return action;
  throw new InvalidInputError(`Auto Scaling action task cannot run ${action?.type ?? 'no action'}`);
}

/** Where each instance is in Auto Scaling (an instance in no group is not one Auto Scaling can replace). */
/** What the kernel needs read: the group scaled, or the instance replaced (and the group it was in). */
function readsFor(action: AutoScalingAction, prepared?: PreparedAutoScaling): Reads {
  if (action.type === 'replace-instance')
    return {
      instances: [action.instanceId],
      locateInstances,
      groups: prepared?.autoScalingGroupName ? [prepared.autoScalingGroupName] : [],
      describeGroups,
    };
  return { groups: [action.autoScalingGroupName], describeGroups };
}

/** Read-only: the change the safety kernel would make on the group as it is, and whether a human approves it first. */
export async function prepare(task: Extract<AutoScalingTask, { operation: 'prepare' }>): Promise<PreparedAutoScaling> {
  const action = actionOf(task);
  const round = task.guard?.round?.n ?? 0;
  if (round >= MAX_PREPARATIONS)
    throw new NoLongerNeeded(`prepared ${round} times and the target changed each time: a human decides`);
  const { decision, live } = await preflight(task, readsFor(action), 'prepare');
  if (decision.kind === 'stop') throw skipError(decision.reason, decision.why);
  const change = atPrepare(decision, task.plan, round);
  const instanceId = action.type === 'replace-instance' ? action.instanceId : undefined;
  const groupName = instanceId
    ? (live.instances[instanceId]?.group ?? '')
    : action.type === 'replace-instance'
      ? ''
      : action.autoScalingGroupName;
  const current = live.groups[groupName]?.desired ?? 0;
  const desired = decision.kind === 'noop' || instanceId ? current : Number(decision.call.input.DesiredCapacity);
  return {
    ...change,
    autoScalingGroupName: groupName,
    currentDesiredCapacity: current,
    desiredCapacity: desired,
    ...(instanceId ? { instanceId } : {}),
  };
}

/** The one mutating call, as the kernel decides it right before it on the group as it is then; a dry run describes it instead. */
export async function apply(task: Extract<AutoScalingTask, { operation: 'apply' }>): Promise<Applied> {
  const { prepared, plan } = task;
  const action = actionOf(task);
  const reads = readsFor(action, prepared);
  const appliedAt = clock.now().toISOString();
  const dryRun = plan.dryRun || stackDryRun();
  if (dryRun) {
    // The same decision, rehearsed on the state read now (the kill switch and the claim aside).
    const { decision } = await preflight(task, reads, 'dry-run');
    if (decision.kind === 'stop') throw skipError(decision.reason, decision.why);
    if (decision.kind === 'noop') throw new NoLongerNeeded(decision.why);
    logger.info('Dry run: not calling Auto Scaling', { call: decision.call });
    return wouldApply(
      decision.kind === 'change' ? decision.description : prepared.description,
      decision.call,
      appliedAt,
    );
  }
  const read = await preflight(task, reads, 'call');
  const outcome = await act(task as ChangeTask, read, approvedBasis(task, prepared.basis), makeScalingCall, (earlier) =>
    preflight(task, reads, 'call', {}, earlier),
  );
  if (!outcome.made) {
    // An earlier attempt's call went through (then timed out or crashed before returning).
    logger.info('Action already applied by an earlier attempt', { call: outcome.call, why: outcome.why });
    return {
      applied: true,
      dryRun,
      description: `${prepared.description} (already applied: ${outcome.why})`,
      call: outcome.call,
      watch: outcome.watch,
      appliedAt,
    };
  }
  logger.info('Applied Auto Scaling action', { call: outcome.call });
  return {
    applied: true,
    dryRun,
    description: outcome.description,
    call: outcome.call,
    watch: outcome.watch,
    appliedAt,
  };
}

export async function autoScalingTask(task: AutoScalingTask): Promise<PreparedAutoScaling | Applied> {
  logger.appendKeys({ incidentId: task.incident.id });
  return task.operation === 'prepare' ? prepare(task) : apply(task);
}

export const handler = workflowTask(AutoScalingTaskSchema, autoScalingTask);
