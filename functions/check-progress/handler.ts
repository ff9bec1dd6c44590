import type * as z from 'zod';
import { describeGroup } from '../aws/auto-scaling';
import { getDeployment } from '../aws/codedeploy';
import { automationStatus } from '../aws/ssm-automation';
import { TargetNotFoundError } from '../domain/errors';
import {
  AppliedSchema,
  ExecutionStateSchema,
  PlannedStateSchema,
  type Progress,
  type Watch,
  nextPoll,
} from '../domain/execution-state';
import { type Observation, automationProgress, deploymentProgress, groupProgress } from '../domain/progress';
import { clock } from '../platform/clock';
import { workflowTask } from '../platform/middleware';
import { logger } from '../platform/powertools';

export const CheckProgressInputSchema = PlannedStateSchema.extend({
  applied: AppliedSchema,
  progress: ExecutionStateSchema.shape.progress,
});
export type CheckProgressInput = z.infer<typeof CheckProgressInputSchema>;

/** One read of whatever the action started. */
export async function observe(watch: Watch): Promise<Observation> {
  switch (watch.kind) {
    case 'none':
      return { done: true, detail: 'nothing to wait for', watch };
    case 'auto-scaling-group': {
      const group = await describeGroup(watch.autoScalingGroupName).catch((error: unknown) => {
        if (error instanceof TargetNotFoundError)
          throw new TargetNotFoundError(`Auto Scaling group ${watch.autoScalingGroupName} disappeared`);
        throw error;
      });
      return groupProgress(watch, group.Instances ?? []);
    }
    case 'deployment': {
      const info = await getDeployment(watch.deploymentId);
      return deploymentProgress(watch, {
        ...(info.status ? { status: info.status } : {}),
        ...(info.rollbackInfo?.rollbackDeploymentId
          ? { rollbackDeploymentId: info.rollbackInfo.rollbackDeploymentId }
          : {}),
        ...(info.errorInformation?.message ? { errorMessage: info.errorInformation.message } : {}),
      });
    }
    case 'automation':
      return automationProgress(watch, await automationStatus(watch.executionId));
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
    checkedAt: clock.now().toISOString(),
  };
}

export const handler = workflowTask(CheckProgressInputSchema, checkProgress);
