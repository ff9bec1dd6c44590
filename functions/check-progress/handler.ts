import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { GetDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { GetAutomationExecutionCommand } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import { callAws } from '../aws/aws-errors';
import { autoScaling } from '../aws/clients/auto-scaling';
import { codeDeploy } from '../aws/clients/codedeploy';
import { ssm } from '../aws/clients/ssm';
import { clock } from '../platform/clock';
import { ActionFailedError, TargetNotFoundError } from '../domain/errors';
import { workflowTask } from '../platform/middleware';
import { logger } from '../platform/powertools';
import {
  AppliedSchema,
  ExecutionStateSchema,
  PlannedStateSchema,
  type Progress,
  type Watch,
  nextPoll,
} from '../domain/execution-state';

export const CheckProgressInputSchema = PlannedStateSchema.extend({
  applied: AppliedSchema,
  progress: ExecutionStateSchema.shape.progress,
});
export type CheckProgressInput = z.infer<typeof CheckProgressInputSchema>;

type Observation = { done: boolean; detail: string; watch: Watch };

async function observeGroup(watch: Extract<Watch, { kind: 'auto-scaling-group' }>): Promise<Observation> {
  const out = await callAws('AutoScaling.DescribeAutoScalingGroups', () =>
    autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [watch.autoScalingGroupName] })),
  );
  const group = out.AutoScalingGroups?.[0];
  if (!group) throw new TargetNotFoundError(`Auto Scaling group ${watch.autoScalingGroupName} disappeared`);
  const instances = group.Instances ?? [];
  const healthy = instances.filter((i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy').length;
  const replacedStillThere = watch.replacedInstanceId
    ? instances.some((i) => i.InstanceId === watch.replacedInstanceId && !i.LifecycleState?.startsWith('Terminat'))
    : false;
  const done = healthy >= watch.desiredCapacity && !replacedStillThere;
  const detail = `${healthy}/${watch.desiredCapacity} InService and healthy${replacedStillThere ? `, ${watch.replacedInstanceId} not yet replaced` : ''}`;
  return { done, detail, watch };
}

async function observeDeployment(watch: Extract<Watch, { kind: 'deployment' }>): Promise<Observation> {
  const out = await callAws('CodeDeploy.GetDeployment', () =>
    codeDeploy.send(new GetDeploymentCommand({ deploymentId: watch.deploymentId })),
  );
  const info = out.deploymentInfo;
  if (!info) throw new TargetNotFoundError(`Deployment ${watch.deploymentId} does not exist`);
  const status = info.status ?? 'Unknown';
  if (status === 'Succeeded') return { done: true, detail: `deployment ${watch.deploymentId} Succeeded`, watch };
  if (status === 'Failed' || status === 'Stopped') {
    // A stopped or failed deployment with auto-rollback hands over to its rollback deployment: follow it.
    const rollbackId = info.rollbackInfo?.rollbackDeploymentId;
    if (rollbackId && rollbackId !== watch.deploymentId) {
      return {
        done: false,
        detail: `deployment ${watch.deploymentId} ${status}; following rollback ${rollbackId}`,
        watch: { kind: 'deployment', deploymentId: rollbackId },
      };
    }
    throw new ActionFailedError(
      `Deployment ${watch.deploymentId} ended ${status}: ${info.errorInformation?.message ?? 'no rollback deployment'}`,
    );
  }
  return { done: false, detail: `deployment ${watch.deploymentId} ${status}`, watch };
}

// Terminal statuses of an automation execution (SSM AutomationExecutionStatus). Exited: a step
// chose to end the runbook early (onFailure: Abort/exit paths), which is not a recovery.
const AUTOMATION_SUCCEEDED = new Set(['Success', 'CompletedWithSuccess']);
const AUTOMATION_FAILED = new Set([
  'Failed',
  'TimedOut',
  'Cancelled',
  'CompletedWithFailure',
  'Rejected',
  'Exited',
  'ChangeCalendarOverrideRejected',
]);

async function observeAutomation(watch: Extract<Watch, { kind: 'automation' }>): Promise<Observation> {
  const out = await callAws('SSM.GetAutomationExecution', () =>
    ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: watch.executionId })),
  );
  const status = out.AutomationExecution?.AutomationExecutionStatus ?? 'Unknown';
  if (AUTOMATION_SUCCEEDED.has(status))
    return { done: true, detail: `automation ${watch.executionId} ${status}`, watch };
  if (AUTOMATION_FAILED.has(status)) {
    throw new ActionFailedError(
      `Automation ${watch.executionId} ended ${status}: ${out.AutomationExecution?.FailureMessage ?? 'no message'}`,
    );
  }
  return { done: false, detail: `automation ${watch.executionId} ${status}`, watch };
}

export function observe(watch: Watch): Promise<Observation> {
  switch (watch.kind) {
    case 'none':
      return Promise.resolve({ done: true, detail: 'nothing to wait for', watch });
    case 'auto-scaling-group':
      return observeGroup(watch);
    case 'deployment':
      return observeDeployment(watch);
    case 'automation':
      return observeAutomation(watch);
  }
}

/** Read-only. One poll of whatever the action started, and when to look again (backoff within the rule's progress timeout). */
export async function checkProgress(state: CheckProgressInput): Promise<Progress> {
  logger.appendKeys({ incidentId: state.incident.id });
  const attempt = (state.progress?.attempt ?? 0) + 1;
  const watch = state.progress?.watch ?? state.applied.watch;
  const observation = await observe(watch);
  logger.info('Progress', { attempt, ...observation });
  return {
    status: observation.done ? 'done' : 'pending',
    attempt,
    ...nextPoll(state.plan.progress, attempt, observation.done),
    detail: observation.detail,
    watch: observation.watch,
    ...(observation.done ? { completedAt: clock.now().toISOString() } : {}),
  };
}

export const handler = workflowTask(CheckProgressInputSchema, checkProgress);
