import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { recentInstanceRefreshes } from '../aws/auto-scaling';
import { listDeployments } from '../aws/codedeploy';
import { correlatedDeployment, correlatedInstanceRefresh, preferRollback } from '../domain/change-correlation';
import { type CorrelatedChange, type Plan, type PlannedState, PlannedStateSchema } from '../domain/execution-state';
import { workflowTask } from '../platform/middleware';
import { logger, metrics } from '../platform/powertools';

export { preferRollback };

/** Read-only: the newest change to the alarm's deployment group or Auto Scaling group in the window. */
async function findChange(check: PlannedState['plan']['changeCheck']): Promise<CorrelatedChange | undefined> {
  const { application, deploymentGroup, autoScalingGroupName } = check;
  if (application && deploymentGroup) {
    const until = Date.parse(check.until ?? '');
    const deployments = await listDeployments({
      applicationName: application,
      deploymentGroupName: deploymentGroup,
      includeOnlyStatuses: ['Succeeded', 'Created', 'Queued', 'InProgress', 'Baking', 'Ready'],
      // A deployment that finished in the window started at most a few hours before it.
      createTimeRange: { start: new Date(Date.parse(check.since ?? '') - 6 * 3_600_000), end: new Date(until) },
    });
    const change = correlatedDeployment(check, `${application}/${deploymentGroup}`, deployments);
    if (change) return change;
  }
  if (!autoScalingGroupName) return undefined;
  return correlatedInstanceRefresh(check, autoScalingGroupName, await recentInstanceRefreshes(autoScalingGroupName));
}

export async function correlateChange(state: PlannedState): Promise<Plan> {
  logger.appendKeys({ incidentId: state.incident.id });
  const check = state.plan.changeCheck;
  if (!check.enabled) return state.plan;
  const change = await findChange(check);
  if (change) metrics.addMetric('ChangeCorrelated', MetricUnit.Count, 1);
  logger.info('Change correlation', { change: change ?? null });
  return preferRollback(state.plan, change);
}

export const handler = workflowTask(PlannedStateSchema, correlateChange);
