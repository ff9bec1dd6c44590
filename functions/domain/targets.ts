import type { Incident } from './incident';
import type { Action } from './policy/actions';

// What an action changes, named once: one key per physical target (an Auto Scaling group, an
// instance, a deployment group), the same key whichever action or path names it. Locks, the
// blast radius, the binding to the alarm and the simulation's invariants all use these keys.

export const targetKey = {
  group: (name: string) => `asg:${name}`,
  instance: (id: string) => `instance:${id}`,
  deploymentGroup: (application: string, deploymentGroup: string) =>
    `deployment-group:${application}/${deploymentGroup}`,
  /** A runbook that names no instance: its document is what it acts through. */
  automation: (documentName: string) => `automation:${documentName}`,
};

/** The instances a runbook acts on (its InstanceId parameter), without repeats. */
export const automationInstances = (action: Extract<Action, { type: 'run-automation' }>): string[] => [
  ...new Set(action.parameters.InstanceId ?? []),
];

/**
 * Every physical target the action changes, sorted: a runbook over N instances takes N instance
 * keys (in one order whichever order the runbook names them), a restart of one instance locks the
 * instance itself, so that the "stopped" event the restart causes cannot replace it meanwhile.
 */
export function targetKeysOf(action: Action): string[] {
  switch (action.type) {
    case 'scale-out':
    case 'scale-in':
      return [targetKey.group(action.autoScalingGroupName)];
    case 'replace-instance':
      return [targetKey.instance(action.instanceId)];
    case 'rollback-deployment':
      return [targetKey.deploymentGroup(action.application, action.deploymentGroup)];
    case 'run-automation': {
      const instances = automationInstances(action);
      return instances.length > 0
        ? instances.map(targetKey.instance).sort()
        : [targetKey.automation(action.documentName)];
    }
    case 'notify':
      return [];
  }
}

/** Which alarm dimensions name which kind of target, per namespace. */
export interface TargetBinding {
  instance?: string[];
  autoScalingGroup?: string[];
}

/**
 * AWS writes the metrics of its own namespaces, so their identity dimensions really are the
 * resource the alarm watches. Anyone with cloudwatch:PutMetricData can write any other namespace
 * with any dimensions: those bind nothing unless the policy says so (docs/policy.md).
 */
export const AWS_TARGET_BINDINGS: Readonly<Record<string, TargetBinding>> = {
  'AWS/EC2': { instance: ['InstanceId'], autoScalingGroup: ['AutoScalingGroupName'] },
  'AWS/AutoScaling': { autoScalingGroup: ['AutoScalingGroupName'] },
};

/** The tags an alarm names its CodeDeploy deployment group with (the service it watches). */
export const DEPLOYMENT_GROUP_TAGS = {
  application: 'selfhealing:codedeploy-application',
  deploymentGroup: 'selfhealing:codedeploy-deployment-group',
} as const;

function fromDimensions(
  namespace: string | undefined,
  dimensions: Record<string, string>,
  bindings: Readonly<Record<string, TargetBinding>>,
): string[] {
  const binding = namespace !== undefined ? bindings[namespace] : undefined;
  if (!binding) return [];
  return [
    ...(binding.instance ?? []).flatMap((d) => (dimensions[d] ? [targetKey.instance(dimensions[d])] : [])),
    ...(binding.autoScalingGroup ?? []).flatMap((d) => (dimensions[d] ? [targetKey.group(dimensions[d])] : [])),
  ];
}

/**
 * The targets an incident is about, by its identity. `attested`: what AWS itself wrote (the resource
 * an AWS event reports), what the alarm's metrics name in AWS's namespaces or one the policy binds
 * (the alarm's author chose the dimension, as for any alarm; the policy vouches for the namespace),
 * or what an operator asked for. `declared`: what only the alarm's tags say — its deployment group —
 * which whoever may tag alarms writes. An alarm any of whose metrics is in a namespace nobody binds
 * names nothing by its dimensions: its state rests on data anyone could publish.
 */
export function identityTargets(
  incident: Incident,
  bindings: Readonly<Record<string, TargetBinding>> = {},
): { attested: string[]; declared: string[] } {
  const attested: string[] = [];
  const declared: string[] = [];
  const { alarm, target } = incident;
  if (incident.source === 'manual') {
    if (incident.requestedAction) attested.push(...targetKeysOf(incident.requestedAction));
  } else if (alarm) {
    const metrics =
      alarm.metrics ?? (alarm.type === 'metric' ? [{ namespace: alarm.namespace, dimensions: alarm.dimensions }] : []);
    const all = { ...bindings, ...AWS_TARGET_BINDINGS };
    const trusted = (namespace: string | undefined) => namespace !== undefined && namespace in all;
    if (metrics.length > 0 && metrics.every((m) => trusted(m.namespace)))
      for (const metric of metrics) attested.push(...fromDimensions(metric.namespace, metric.dimensions, all));
    const application = alarm.tags[DEPLOYMENT_GROUP_TAGS.application];
    const deploymentGroup = alarm.tags[DEPLOYMENT_GROUP_TAGS.deploymentGroup];
    if (application && deploymentGroup) declared.push(targetKey.deploymentGroup(application, deploymentGroup));
  } else {
    // AWS events (EC2, Auto Scaling, CodeDeploy): ingest took the resource from the event itself.
    if (target.instanceId) attested.push(targetKey.instance(target.instanceId));
    if (target.autoScalingGroupName) attested.push(targetKey.group(target.autoScalingGroupName));
    if (target.codedeploy?.application && target.codedeploy.deploymentGroup)
      attested.push(targetKey.deploymentGroup(target.codedeploy.application, target.codedeploy.deploymentGroup));
  }
  const unique = (keys: string[]) => [...new Set(keys)].sort();
  return { attested: unique(attested), declared: unique(declared.filter((k) => !attested.includes(k))) };
}

/** Named targets a policy lists (group names, instance ids, application/deployment-group) as keys of every kind. */
export function namedTargets(names: readonly string[]): string[] {
  return names.flatMap((name) => {
    const [application, deploymentGroup, ...rest] = name.split('/');
    return [
      targetKey.group(name),
      targetKey.instance(name),
      targetKey.automation(name),
      ...(application && deploymentGroup && rest.length === 0
        ? [targetKey.deploymentGroup(application, deploymentGroup)]
        : []),
    ];
  });
}

/** What a plan may act on: targets, runbook documents, and the values each runbook parameter may take. */
export interface Bound {
  targets: string[];
  /** Of `targets`, those AWS itself, the policy or an operator names; the others only the alarm's owner names. */
  attested: string[];
  documents: string[];
  parameterValues: Record<string, string[]>;
}

/** Runbook parameters the platform itself sets or checks as targets, not values an alarm may choose. */
export const PLATFORM_PARAMETERS = new Set(['InstanceId', 'AutomationAssumeRole']);

/** Why the action reaches outside what the plan is bound to, if it does (the kernel's target rule). */
export function outsideBound(
  action: Action,
  bound: Bound | undefined,
): { reason: 'TargetNotNamedByAlarm' | 'ParameterNotAllowed'; why: string } | undefined {
  const allowed = new Set(bound?.targets ?? []);
  const unbound = targetKeysOf(action).filter((key) => !allowed.has(key) && !key.startsWith('automation:'));
  if (unbound.length > 0)
    return {
      reason: 'TargetNotNamedByAlarm',
      why: `${unbound.join(', ')} ${unbound.length > 1 ? 'are' : 'is'} not named by the incident's identity (its alarm's dimensions in a trusted namespace, its event, the rule's allowedTargets)`,
    };
  if (action.type !== 'run-automation') return undefined;
  if (!(bound?.documents ?? []).includes(action.documentName))
    return {
      reason: 'ParameterNotAllowed',
      why: `runbook ${action.documentName} is not one the policy names`,
    };
  for (const [name, values] of Object.entries(action.parameters)) {
    if (PLATFORM_PARAMETERS.has(name)) continue;
    const permitted = bound?.parameterValues[name] ?? [];
    const refused = values.filter((value) => !permitted.includes(value));
    if (refused.length > 0)
      return {
        reason: 'ParameterNotAllowed',
        why: `runbook parameter ${name} value ${JSON.stringify(refused[0])} is neither written in the policy nor in the rule's allowedValues`,
      };
  }
  return undefined;
}
