import { DescribeInstanceRefreshesCommand } from '@aws-sdk/client-auto-scaling';
import { BatchGetDeploymentsCommand, type DeploymentInfo, ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { callAws } from '../aws/aws-errors';
import { autoScaling } from '../aws/clients/auto-scaling';
import { codeDeploy } from '../aws/clients/codedeploy';
import { workflowTask } from '../platform/middleware';
import type { Action } from '../domain/policy/actions';
import { describeAction } from '../domain/policy/engine';
import { logger, metrics } from '../platform/powertools';
import {
  type ChangeCheck,
  type CorrelatedChange,
  type Plan,
  type PlannedState,
  PlannedStateSchema,
} from '../domain/execution-state';

// Change-aware action choice: a deployment (or an instance refresh) that finished shortly before
// the alarm is the likeliest cause, and scaling out would only feed it more capacity. Read-only.

const RUNNING = new Set(['Created', 'Queued', 'InProgress', 'Baking', 'Ready']);
/** Rollbacks this platform made (deployment-rollback's description) are not changes to undo. */
const OWN_ROLLBACK = /^SelfHealing rollback/;
/** A rollback waits for a whole deployment: give its progress loop at least this long. */
const ROLLBACK_PROGRESS_SECONDS = 1800;

const minutesBetween = (earlier: number, later: number) => Math.round((later - earlier) / 6000) / 10;

/** The newest user deployment of the group that finished in the window, or is still running. */
export async function recentDeployment(
  check: ChangeCheck & { application: string; deploymentGroup: string },
): Promise<CorrelatedChange | undefined> {
  const since = Date.parse(check.since ?? '');
  const until = Date.parse(check.until ?? '');
  const listed = await callAws('CodeDeploy.ListDeployments', () =>
    codeDeploy.send(
      new ListDeploymentsCommand({
        applicationName: check.application,
        deploymentGroupName: check.deploymentGroup,
        includeOnlyStatuses: ['Succeeded', 'Created', 'Queued', 'InProgress', 'Baking', 'Ready'],
        // A deployment that finished in the window started at most a few hours before it.
        createTimeRange: { start: new Date(since - 6 * 3_600_000), end: new Date(until) },
      }),
    ),
  );
  const ids = (listed.deployments ?? []).slice(0, 25);
  if (ids.length === 0) return undefined;
  const batch = await callAws('CodeDeploy.BatchGetDeployments', () =>
    codeDeploy.send(new BatchGetDeploymentsCommand({ deploymentIds: ids })),
  );
  const candidates = (batch.deploymentsInfo ?? [])
    .filter((d) => (d.creator ?? 'user') === 'user' && !OWN_ROLLBACK.test(d.description ?? ''))
    .map((d) => ({ d, at: (RUNNING.has(d.status ?? '') ? d.createTime : d.completeTime)?.getTime() }))
    .filter(
      (c): c is { d: DeploymentInfo; at: number } =>
        c.at !== undefined && c.at <= until && (RUNNING.has(c.d.status ?? '') || c.at >= since),
    )
    .sort((a, b) => b.at - a.at);
  const newest = candidates[0];
  if (!newest) return undefined;
  const { d, at } = newest;
  const running = RUNNING.has(d.status ?? '');
  const minutesBeforeAlarm = minutesBetween(at, until);
  const resource = `${check.application}/${check.deploymentGroup}`;
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

/** The newest instance refresh of the group that finished in the window, or is still running. */
export async function recentInstanceRefresh(
  check: ChangeCheck & { autoScalingGroupName: string },
): Promise<CorrelatedChange | undefined> {
  const since = Date.parse(check.since ?? '');
  const until = Date.parse(check.until ?? '');
  const out = await callAws('AutoScaling.DescribeInstanceRefreshes', () =>
    autoScaling.send(
      new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: check.autoScalingGroupName, MaxRecords: 10 }),
    ),
  );
  const refresh = (out.InstanceRefreshes ?? [])
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
    resource: check.autoScalingGroupName,
    status: r.Status ?? 'Unknown',
    ...(r.StartTime ? { startedAt: r.StartTime.toISOString() } : {}),
    ...(r.EndTime ? { finishedAt: r.EndTime.toISOString() } : {}),
    minutesBeforeAlarm,
    description: `instance refresh ${r.InstanceRefreshId ?? '?'} of ${check.autoScalingGroupName} ${r.Status === 'Successful' ? `finished ${minutesBeforeAlarm} min before the alarm` : `is ${r.Status} (started ${minutesBeforeAlarm} min before the alarm)`}`,
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
    const progress = {
      intervalSeconds: plan.progress.intervalSeconds,
      maxPolls: Math.max(plan.progress.maxPolls, Math.ceil(ROLLBACK_PROGRESS_SECONDS / plan.progress.intervalSeconds)),
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

export async function correlateChange(state: PlannedState): Promise<Plan> {
  logger.appendKeys({ incidentId: state.incident.id });
  const check = state.plan.changeCheck;
  if (!check.enabled) return state.plan;
  const { application, deploymentGroup, autoScalingGroupName } = check;
  const change =
    (application && deploymentGroup ? await recentDeployment({ ...check, application, deploymentGroup }) : undefined) ??
    (autoScalingGroupName ? await recentInstanceRefresh({ ...check, autoScalingGroupName }) : undefined);
  if (change) metrics.addMetric('ChangeCorrelated', MetricUnit.Count, 1);
  logger.info('Change correlation', { change: change ?? null });
  return preferRollback(state.plan, change);
}

export const handler = workflowTask(PlannedStateSchema, correlateChange);
