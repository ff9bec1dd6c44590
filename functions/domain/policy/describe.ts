import type { Action } from './actions';

// Apart from the planner so that describing an action does not bundle the policy's RE2 matcher.

/** An action in the words an on-call engineer reads. */
export function describeAction(action: Action): string {
  switch (action.type) {
    case 'scale-out':
      return `scale out ${action.autoScalingGroupName} by ${action.step}${action.maxCapacity !== undefined ? ` (cap ${action.maxCapacity})` : ''}`;
    case 'scale-in':
      return `scale in ${action.autoScalingGroupName} by ${action.step}${action.minCapacity !== undefined ? ` (floor ${action.minCapacity})` : ''}`;
    case 'replace-instance':
      return `replace instance ${action.instanceId}`;
    case 'rollback-deployment':
      return `roll back ${action.application}/${action.deploymentGroup}`;
    case 'run-automation':
      return `run ${action.documentName}`;
    case 'notify':
      return `notify a human (${action.severity})`;
  }
}
