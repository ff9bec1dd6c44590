import { ActionFailedError } from './errors';
import type { Watch } from './execution-state';
import { AUTOMATION_FAILED, AUTOMATION_SUCCEEDED } from './automation';

// Whether what the action started has finished, judged from one read of it: pure, so the
// progress step and the tests share it.

export type Observation = { done: boolean; detail: string; watch: Watch };

type GroupWatch = Extract<Watch, { kind: 'auto-scaling-group' }>;
type DeploymentWatch = Extract<Watch, { kind: 'deployment' }>;
type AutomationWatch = Extract<Watch, { kind: 'automation' }>;

/** Done when the group has its desired capacity InService and healthy, and the replaced instance is gone. */
export function groupProgress(
  watch: GroupWatch,
  instances: { InstanceId?: string; LifecycleState?: string; HealthStatus?: string }[],
): Observation {
  const healthy = instances.filter((i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy').length;
  const replacedStillThere = watch.replacedInstanceId
    ? instances.some((i) => i.InstanceId === watch.replacedInstanceId && !i.LifecycleState?.startsWith('Terminat'))
    : false;
  const done = healthy >= watch.desiredCapacity && !replacedStillThere;
  const detail = `${healthy}/${watch.desiredCapacity} InService and healthy${replacedStillThere ? `, ${watch.replacedInstanceId} not yet replaced` : ''}`;
  return { done, detail, watch };
}

/** A stopped or failed deployment with auto-rollback hands over to its rollback deployment: follow it. */
export function deploymentProgress(
  watch: DeploymentWatch,
  info: { status?: string; rollbackDeploymentId?: string; errorMessage?: string },
): Observation {
  const status = info.status ?? 'Unknown';
  if (status === 'Succeeded') return { done: true, detail: `deployment ${watch.deploymentId} Succeeded`, watch };
  if (status === 'Failed' || status === 'Stopped') {
    const rollbackId = info.rollbackDeploymentId;
    if (rollbackId && rollbackId !== watch.deploymentId) {
      return {
        done: false,
        detail: `deployment ${watch.deploymentId} ${status}; following rollback ${rollbackId}`,
        watch: { kind: 'deployment', deploymentId: rollbackId },
      };
    }
    throw new ActionFailedError(
      `Deployment ${watch.deploymentId} ended ${status}: ${info.errorMessage ?? 'no rollback deployment'}`,
    );
  }
  return { done: false, detail: `deployment ${watch.deploymentId} ${status}`, watch };
}

export function automationProgress(
  watch: AutomationWatch,
  execution: { status: string; failureMessage?: string },
): Observation {
  const { status } = execution;
  if (AUTOMATION_SUCCEEDED.has(status))
    return { done: true, detail: `automation ${watch.executionId} ${status}`, watch };
  if (AUTOMATION_FAILED.has(status)) {
    throw new ActionFailedError(
      `Automation ${watch.executionId} ended ${status}: ${execution.failureMessage ?? 'no message'}`,
    );
  }
  return { done: false, detail: `automation ${watch.executionId} ${status}`, watch };
}
