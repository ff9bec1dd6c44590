import type { Action } from './policy/actions';
import { describeAction } from './policy/describe';
import { type ChangeCheck, type CorrelatedChange, type Plan, firstWait } from './execution-state';
import { DEPLOYMENT_RUNNING, OWN_ROLLBACK } from './rollback';

// Change-aware action choice: a deployment (or an instance refresh) that finished shortly before
// the alarm is the likeliest cause, and scaling out would only feed it more capacity.

/** A rollback waits for a whole deployment: give its progress loop at least this long. */
const ROLLBACK_PROGRESS_SECONDS = 1800;

const minutesBetween = (earlier: number, later: number) => Math.round((later - earlier) / 6000) / 10;

/** The window a change must fall in: finished in [since, until], or still running at until. */
export function changeWindow(check: ChangeCheck): { since: number; until: number } {
  return { since: Date.parse(check.since ?? ''), until: Date.parse(check.until ?? '') };
}

export interface DeploymentSeen {
  deploymentId?: string;
  status?: string;
  creator?: string;
  description?: string;
  createTime?: Date;
  completeTime?: Date;
}

/** The newest user deployment that finished in the window, or is still running. */
export function correlatedDeployment(
  check: ChangeCheck,
  resource: string,
  deployments: DeploymentSeen[],
): CorrelatedChange | undefined {
  const { since, until } = changeWindow(check);
  const newest = deployments
    .filter((d) => (d.creator ?? 'user') === 'user' && !OWN_ROLLBACK.test(d.description ?? ''))
    .map((d) => ({ d, at: (DEPLOYMENT_RUNNING.has(d.status ?? '') ? d.createTime : d.completeTime)?.getTime() }))
    .filter(
      (c): c is { d: DeploymentSeen; at: number } =>
        c.at !== undefined && c.at <= until && (DEPLOYMENT_RUNNING.has(c.d.status ?? '') || c.at >= since),
    )
    .sort((a, b) => b.at - a.at)[0];
  if (!newest) return undefined;
  const { d, at } = newest;
  const running = DEPLOYMENT_RUNNING.has(d.status ?? '');
  const minutesBeforeAlarm = minutesBetween(at, until);
  return {
    kind: 'deployment',
    id: d.deploymentId ?? '?',
    resource,
    status: d.status ?? 'Unknown',
    ...(d.createTime ? { startedAt: d.createTime.toISOString() } : {}),
    ...(d.completeTime ? { finishedAt: d.completeTime.toISOString() } : {}),
    minutesBeforeAlarm,
    description: `deployment ${d.deploymentId ?? '?'} of ${resource} ${running ? `started ${minutesBeforeAlarm} min before the alarm and is still ${d.status}` : `finished ${minutesBeforeAlarm} min before the alarm`}`,
  };
}

export interface InstanceRefreshSeen {
  InstanceRefreshId?: string;
  Status?: string;
  StartTime?: Date;
  EndTime?: Date;
}

/** The newest instance refresh of the group that finished in the window, or is still running. */
export function correlatedInstanceRefresh(
  check: ChangeCheck,
  autoScalingGroupName: string,
  refreshes: InstanceRefreshSeen[],
): CorrelatedChange | undefined {
  const { since, until } = changeWindow(check);
  const refresh = refreshes
    .map((r) => ({ r, at: (r.Status === 'InProgress' || r.Status === 'Pending' ? r.StartTime : r.EndTime)?.getTime() }))
    .filter(
      (c) =>
        c.at !== undefined &&
        c.at <= until &&
        (c.r.Status === 'InProgress' || c.r.Status === 'Pending' || (c.r.Status === 'Successful' && c.at >= since)),
    )
    .sort((a, b) => (b.at ?? 0) - (a.at ?? 0))[0];
  if (!refresh?.at) return undefined;
  const { r, at } = refresh;
  const minutesBeforeAlarm = minutesBetween(at, until);
  return {
    kind: 'instance-refresh',
    id: r.InstanceRefreshId ?? '?',
    resource: autoScalingGroupName,
    status: r.Status ?? 'Unknown',
    ...(r.StartTime ? { startedAt: r.StartTime.toISOString() } : {}),
    ...(r.EndTime ? { finishedAt: r.EndTime.toISOString() } : {}),
    minutesBeforeAlarm,
    description: `instance refresh ${r.InstanceRefreshId ?? '?'} of ${autoScalingGroupName} ${r.Status === 'Successful' ? `finished ${minutesBeforeAlarm} min before the alarm` : `is ${r.Status} (started ${minutesBeforeAlarm} min before the alarm)`}`,
  };
}

/** The plan with the change-aware choice made: unchanged when no change correlates. */
export function preferRollback(plan: Plan, change: CorrelatedChange | undefined): Plan {
  const current = plan.action;
  if (!change || !current) {
    return {
      ...plan,
      explanation: [
        ...plan.explanation,
        `Change-aware: no deployment or instance refresh in the window; keeping ${current ? describeAction(current) : 'the plan'}.`,
      ],
    };
  }
  if (change.kind === 'deployment') {
    const [application = '', deploymentGroup = ''] = change.resource.split('/');
    const rollback: Action = { type: 'rollback-deployment', application, deploymentGroup };
    const maxPolls = Math.max(
      plan.progress.maxPolls,
      Math.ceil(ROLLBACK_PROGRESS_SECONDS / plan.progress.intervalSeconds),
    );
    const progress = {
      intervalSeconds: plan.progress.intervalSeconds,
      maxPolls,
      firstWaitSeconds: firstWait(plan.progress.intervalSeconds, maxPolls),
    };
    const steps = plan.escalation.steps.map((step, index) =>
      index === plan.escalation.step - 1 ? { ...step, action: rollback, progress } : step,
    );
    return {
      ...plan,
      action: rollback,
      actionSource: 'change-correlation',
      progress,
      escalation: { ...plan.escalation, steps },
      approval: { ...plan.approval, capacityIncreaseOverPercent: undefined },
      correlatedChange: change,
      explanation: [
        ...plan.explanation,
        `Change-aware: ${change.description}; rolling it back instead of ${describeAction(current)}.`,
        `Action: ${describeAction(rollback)}.`,
      ],
    };
  }
  // A finished instance refresh has no one-call undo (its launch template must be reverted): a human decides.
  const notify: Action = {
    type: 'notify',
    severity: 'critical',
    message: `${change.description}: likely cause; not scaling out onto the same launch template. Roll it back (aws autoscaling rollback-instance-refresh, or revert the launch template)`,
  };
  return {
    ...plan,
    action: notify,
    actionSource: 'change-correlation',
    verify: { ...plan.verify, enabled: false },
    escalation: { step: 1, of: 1, hasNext: false, steps: [] },
    approval: { required: false, timeoutSeconds: plan.approval.timeoutSeconds },
    correlatedChange: change,
    explanation: [
      ...plan.explanation,
      `Change-aware: ${change.description}; asking a human instead of ${describeAction(current)}.`,
    ],
  };
}
