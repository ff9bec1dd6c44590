import {
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  SetDesiredCapacityCommand,
  SetInstanceHealthCommand,
} from '@aws-sdk/client-auto-scaling';
import * as z from 'zod';
import { callAws } from '../aws/aws-errors';
import { autoScaling } from '../aws/clients/auto-scaling';
import { clock } from '../platform/clock';
import { stackDryRun } from '../platform/env';
import { InvalidInputError, TargetNotFoundError } from '../domain/errors';
import { workflowTask } from '../platform/middleware';
import { logger } from '../platform/powertools';
import { type Applied, type Plan, PlannedStateSchema, SkipReasonSchema, wouldApply } from '../domain/execution-state';
import { assertStillActionable, stillActionableAnd } from '../aws/alarms';
import { computeDesiredCapacity } from './capacity';

export const PreparedAutoScalingSchema = z.object({
  status: z.enum(['ready', 'noop']),
  reason: SkipReasonSchema.optional(),
  description: z.string(),
  autoScalingGroupName: z.string(),
  currentDesiredCapacity: z.int(),
  desiredCapacity: z.int(),
  instanceId: z.string().optional(),
  /** A human approves this change before it is applied (rule or environment, or a capacity increase over the threshold). */
  approvalRequired: z.boolean().default(false),
  approvalReason: z.string().optional(),
});
export type PreparedAutoScaling = z.infer<typeof PreparedAutoScalingSchema>;

export const AutoScalingTaskSchema = z.discriminatedUnion('operation', [
  PlannedStateSchema.extend({ operation: z.literal('prepare') }),
  PlannedStateSchema.extend({ operation: z.literal('apply'), prepared: PreparedAutoScalingSchema }),
]);
export type AutoScalingTask = z.infer<typeof AutoScalingTaskSchema>;

async function describeGroup(name: string): Promise<AutoScalingGroup> {
  const out = await callAws('AutoScaling.DescribeAutoScalingGroups', () =>
    autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })),
  );
  const group = out.AutoScalingGroups?.[0];
  if (!group) throw new TargetNotFoundError(`Auto Scaling group ${name} does not exist`);
  return group;
}

/** Whether a human approves this change first: the plan says so, or it grows the group by more than the threshold. */
export function approvalFor(
  plan: Plan,
  current: number,
  desired: number,
): { approvalRequired: boolean; approvalReason?: string } {
  if (plan.approval.required) return { approvalRequired: true, approvalReason: 'the plan requires approval' };
  const threshold = plan.approval.capacityIncreaseOverPercent;
  if (threshold === undefined || desired <= current) return { approvalRequired: false };
  const increase = current === 0 ? Number.POSITIVE_INFINITY : ((desired - current) / current) * 100;
  if (increase <= threshold) return { approvalRequired: false };
  const shown = Number.isFinite(increase) ? `+${Math.round(increase)} %` : 'from zero';
  return {
    approvalRequired: true,
    approvalReason: `capacity ${current} → ${desired} (${shown}) is over the +${threshold} % approval threshold`,
  };
}

/** Read-only: describes the target and computes the absolute change to make. */
export async function prepare(task: Extract<AutoScalingTask, { operation: 'prepare' }>): Promise<PreparedAutoScaling> {
  const action = task.plan.action;
  if (action?.type === 'scale-out' || action?.type === 'scale-in') {
    const group = await describeGroup(action.autoScalingGroupName);
    const size = {
      minSize: group.MinSize ?? 0,
      maxSize: group.MaxSize ?? 0,
      desiredCapacity: group.DesiredCapacity ?? 0,
    };
    const decision = computeDesiredCapacity(action, size);
    const base = {
      autoScalingGroupName: action.autoScalingGroupName,
      currentDesiredCapacity: size.desiredCapacity,
      desiredCapacity: decision.desiredCapacity,
    };
    if (decision.desiredCapacity === size.desiredCapacity) {
      return {
        status: 'noop',
        reason: 'AtCapacityLimit',
        approvalRequired: false,
        description: `${action.autoScalingGroupName} is already at ${size.desiredCapacity} (limited by ${decision.limitedBy ?? 'its size'})`,
        ...base,
      };
    }
    return {
      status: 'ready',
      description: `set ${action.autoScalingGroupName} desired capacity ${size.desiredCapacity} → ${decision.desiredCapacity}${decision.limitedBy ? ` (limited by ${decision.limitedBy})` : ''}`,
      ...base,
      ...approvalFor(task.plan, size.desiredCapacity, decision.desiredCapacity),
    };
  }
  if (action?.type === 'replace-instance') {
    const out = await callAws('AutoScaling.DescribeAutoScalingInstances', () =>
      autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [action.instanceId] })),
    );
    const membership = out.AutoScalingInstances?.[0];
    if (!membership?.AutoScalingGroupName) {
      return {
        status: 'noop',
        reason: 'NotInAutoScalingGroup',
        approvalRequired: false,
        description: `${action.instanceId} is not in an Auto Scaling group: nothing would replace it`,
        autoScalingGroupName: '',
        currentDesiredCapacity: 0,
        desiredCapacity: 0,
        instanceId: action.instanceId,
      };
    }
    const group = await describeGroup(membership.AutoScalingGroupName);
    const desired = group.DesiredCapacity ?? 0;
    return {
      status: 'ready',
      description: `mark ${action.instanceId} Unhealthy so ${membership.AutoScalingGroupName} replaces it`,
      autoScalingGroupName: membership.AutoScalingGroupName,
      currentDesiredCapacity: desired,
      desiredCapacity: desired,
      instanceId: action.instanceId,
      ...approvalFor(task.plan, desired, desired),
    };
  }
  throw new InvalidInputError(`Auto Scaling action task cannot run ${action?.type ?? 'no action'}`);
}

/** Why the prepared change is already in place, if it is. */
async function alreadyApplied(prepared: PreparedAutoScaling): Promise<string | undefined> {
  if (prepared.instanceId) {
    const out = await callAws('AutoScaling.DescribeAutoScalingInstances', () =>
      autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [prepared.instanceId as string] })),
    );
    const instance = out.AutoScalingInstances?.[0];
    if (!instance) return `${prepared.instanceId} has left its group`;
    const unhealthy =
      instance.HealthStatus?.toUpperCase() === 'UNHEALTHY' || instance.LifecycleState?.startsWith('Terminat');
    return unhealthy
      ? `${prepared.instanceId} is already ${instance.LifecycleState ?? ''} ${instance.HealthStatus ?? ''}`.trim()
      : undefined;
  }
  const group = await describeGroup(prepared.autoScalingGroupName);
  return group.DesiredCapacity === prepared.desiredCapacity
    ? `${prepared.autoScalingGroupName} desired capacity is already ${prepared.desiredCapacity}`
    : undefined;
}

/** The one mutating call, with the target computed by prepare; a dry run describes it instead. */
export async function apply(task: Extract<AutoScalingTask, { operation: 'apply' }>): Promise<Applied> {
  const { prepared, plan } = task;
  const dryRun = plan.dryRun || stackDryRun();
  const appliedAt = clock.now().toISOString();
  const watch = {
    kind: 'auto-scaling-group' as const,
    autoScalingGroupName: prepared.autoScalingGroupName,
    desiredCapacity: prepared.desiredCapacity,
    ...(prepared.instanceId ? { replacedInstanceId: prepared.instanceId } : {}),
  };
  const call = prepared.instanceId
    ? {
        operation: 'AutoScaling.SetInstanceHealth',
        input: { InstanceId: prepared.instanceId, HealthStatus: 'Unhealthy', ShouldRespectGracePeriod: false },
      }
    : {
        operation: 'AutoScaling.SetDesiredCapacity',
        input: {
          AutoScalingGroupName: prepared.autoScalingGroupName,
          DesiredCapacity: prepared.desiredCapacity,
          HonorCooldown: false,
        },
      };

  // The stale-incident check, also in a dry run: it is part of the decision being rehearsed.
  if (dryRun) {
    const fresh = await assertStillActionable(task, clock.now());
    logger.info('Dry run: not calling Auto Scaling', { call, fresh });
    return wouldApply(prepared.description, call, appliedAt);
  }
  // Retry-safe by a state check: an earlier attempt whose call went through (then timed out or
  // crashed before returning) left the group already where we want it; do not call again.
  const { found: already } = await stillActionableAnd(task, clock.now(), () => alreadyApplied(prepared));
  if (already) {
    logger.info('Action already applied by an earlier attempt', { call, already });
    return {
      applied: true,
      dryRun,
      description: `${prepared.description} (already applied: ${already})`,
      call,
      watch,
      appliedAt,
    };
  }
  if (prepared.instanceId) {
    await callAws(call.operation, () =>
      autoScaling.send(
        new SetInstanceHealthCommand({
          InstanceId: prepared.instanceId,
          HealthStatus: 'Unhealthy',
          ShouldRespectGracePeriod: false,
        }),
      ),
    );
  } else {
    await callAws(call.operation, () =>
      autoScaling.send(
        new SetDesiredCapacityCommand({
          AutoScalingGroupName: prepared.autoScalingGroupName,
          DesiredCapacity: prepared.desiredCapacity,
          HonorCooldown: false,
        }),
      ),
    );
  }
  logger.info('Applied Auto Scaling action', { call });
  return { applied: true, dryRun, description: prepared.description, call, watch, appliedAt };
}

export async function autoScalingTask(task: AutoScalingTask): Promise<PreparedAutoScaling | Applied> {
  logger.appendKeys({ incidentId: task.incident.id });
  return task.operation === 'prepare' ? prepare(task) : apply(task);
}

export const handler = workflowTask(AutoScalingTaskSchema, autoScalingTask);
