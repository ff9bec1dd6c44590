import * as z from 'zod';
import { NoLongerNeeded } from './errors';
import type { Action } from './policy/actions';
import { type Applied, type Plan, SkipReasonSchema, type Watch } from './execution-state';

type AppliedCall = NonNullable<Applied['call']>;

export type ScaleAction = Extract<Action, { type: 'scale-out' | 'scale-in' }>;

export interface GroupSize {
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
}

export interface CapacityDecision {
  desiredCapacity: number;
  limitedBy?: string;
}

/**
 * Absolute target computed once from the group as described: clamp(current ± step,
 * MinSize, min(MaxSize, rule cap)). The apply step sets this number, so a retry never adds twice.
 */
export function computeDesiredCapacity(action: ScaleAction, group: GroupSize): CapacityDecision {
  if (action.type === 'scale-out') {
    const ceiling = Math.min(group.maxSize, action.maxCapacity ?? Number.POSITIVE_INFINITY);
    const wanted = group.desiredCapacity + action.step;
    const desired = Math.max(group.minSize, Math.min(wanted, ceiling));
    const limitedBy =
      wanted > ceiling ? (ceiling === group.maxSize ? `MaxSize ${group.maxSize}` : `rule cap ${ceiling}`) : undefined;
    return { desiredCapacity: desired, ...(limitedBy ? { limitedBy } : {}) };
  }
  const floor = Math.max(group.minSize, action.minCapacity ?? 0);
  const wanted = group.desiredCapacity - action.step;
  const desired = Math.min(group.maxSize, Math.max(wanted, floor));
  const limitedBy =
    wanted < floor ? (floor === group.minSize ? `MinSize ${group.minSize}` : `rule floor ${floor}`) : undefined;
  return { desiredCapacity: desired, ...(limitedBy ? { limitedBy } : {}) };
}

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

/** The scaling change to make on a group of this size: a no-op when the limits leave it where it is. */
export function planScaling(action: ScaleAction, group: GroupSize, plan: Plan): PreparedAutoScaling {
  const decision = computeDesiredCapacity(action, group);
  const base = {
    autoScalingGroupName: action.autoScalingGroupName,
    currentDesiredCapacity: group.desiredCapacity,
    desiredCapacity: decision.desiredCapacity,
  };
  if (decision.desiredCapacity === group.desiredCapacity) {
    return {
      status: 'noop',
      reason: 'AtCapacityLimit',
      approvalRequired: false,
      description: `${action.autoScalingGroupName} is already at ${group.desiredCapacity} (limited by ${decision.limitedBy ?? 'its size'})`,
      ...base,
    };
  }
  return {
    status: 'ready',
    description: `set ${action.autoScalingGroupName} desired capacity ${group.desiredCapacity} → ${decision.desiredCapacity}${decision.limitedBy ? ` (limited by ${decision.limitedBy})` : ''}`,
    ...base,
    ...approvalFor(plan, group.desiredCapacity, decision.desiredCapacity),
  };
}

/** Replacing an instance: the group it belongs to replaces it once it is marked Unhealthy. */
export function planReplacement(
  instanceId: string,
  group: { name: string; desiredCapacity: number } | undefined,
  plan: Plan,
): PreparedAutoScaling {
  if (!group) {
    return {
      status: 'noop',
      reason: 'NotInAutoScalingGroup',
      approvalRequired: false,
      description: `${instanceId} is not in an Auto Scaling group: nothing would replace it`,
      autoScalingGroupName: '',
      currentDesiredCapacity: 0,
      desiredCapacity: 0,
      instanceId,
    };
  }
  return {
    status: 'ready',
    description: `mark ${instanceId} Unhealthy so ${group.name} replaces it`,
    autoScalingGroupName: group.name,
    currentDesiredCapacity: group.desiredCapacity,
    desiredCapacity: group.desiredCapacity,
    instanceId,
    ...approvalFor(plan, group.desiredCapacity, group.desiredCapacity),
  };
}

/** The one mutating call for a prepared change, as it is logged, recorded and made. */
export function scalingCall(prepared: PreparedAutoScaling): AppliedCall {
  return prepared.instanceId
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
}

/** What the progress step watches after the change. */
export function scalingWatch(prepared: PreparedAutoScaling): Watch {
  return {
    kind: 'auto-scaling-group',
    autoScalingGroupName: prepared.autoScalingGroupName,
    desiredCapacity: prepared.desiredCapacity,
    ...(prepared.instanceId ? { replacedInstanceId: prepared.instanceId } : {}),
  };
}

/**
 * The prepared capacity, judged again against the group as it is right before the call: the same
 * number means an earlier attempt already set it; a group that has meanwhile moved past it (raised
 * further on a scale-out, lowered further on a scale-in) is never moved back: the change is no
 * longer needed.
 */
export function recheckCapacity(prepared: PreparedAutoScaling, desiredNow: number): string | undefined {
  const name = prepared.autoScalingGroupName;
  if (desiredNow === prepared.desiredCapacity) return `${name} desired capacity is already ${desiredNow}`;
  const growing = prepared.desiredCapacity > prepared.currentDesiredCapacity;
  if (growing ? desiredNow > prepared.desiredCapacity : desiredNow < prepared.desiredCapacity)
    throw new NoLongerNeeded(
      `${name} desired capacity is ${desiredNow} now, ${growing ? 'above' : 'below'} the ${prepared.desiredCapacity} this change would set (prepared at ${prepared.currentDesiredCapacity}): not ${growing ? 'lowering' : 'raising'} it`,
    );
  return undefined;
}
