import { createHash } from 'node:crypto';
import { type ApprovalBasis, ApprovalBasisSchema } from './approval-basis';
import { type Incident, MAX_CLOCK_SKEW_SECONDS } from './incident';
import type { Applied, Plan, PlanSafety, Watch } from './execution-state';
import type { Action } from './policy/actions';
import { automationInstances, outsideBound, targetKey, targetKeysOf } from './targets';
import { DEPLOYMENT_RUNNING, type RollbackChoice, rollbackDescription } from './rollback';
import { automationRequest } from './automation';

// The safety kernel: one pure function decides, from the live state the pre-flight has just read
// and the change the plan asks for, whether a mutating call may go out now, and exactly which.
// Plans propose; the kernel disposes. Every mutating call passes through it right before it is
// made, on every retry, for automatic and manual executions alike; the prepare steps run it too,
// so that a human is asked about the change the kernel would make. Its rules, in the order they
// are applied (the first that stops the change decides):
//   1. the kill switch                                                        → Paused
//   2. the incident's age (maximum age, or a time in the future)              → Stale
//   3. targets bound to the incident's identity; runbook values the policy's  → TargetNotNamedByAlarm,
//                                                                               ParameterNotAllowed
//   4. the alarm still in ALARM (a pure scale-out may act on INSUFFICIENT_DATA) → AlreadyRecovered, NotInAlarm
//   5. the target, as it is now:
//      capacity monotone and within Min/Max and the rule's bounds, relative to the live desired capacity
//                                                                             → AtCapacityLimit, NoLongerNeeded
//      an instance still in its group and not already on its way out        → NotInAutoScalingGroup, NoLongerNeeded
//      the deployment rolled back still the group's live one                 → Superseded, NoLongerNeeded
//   6. what needs a human: the plan's approval, the capacity threshold, the blast radius (per group,
//      counted across executions), a target the platform cannot see; an approval covers only the
//      change the approver saw                                               → ApprovalRequired, NoLongerNeeded
// A retry of a call that may have gone through re-issues exactly that call (the intent recorded
// right before it), never a recomputed one: nothing acts twice.

/** What the pre-flight read right before the decision. */
export interface LiveGroup {
  name: string;
  minSize: number;
  maxSize: number;
  desired: number;
  /** Instances InService and Healthy: the capacity the blast radius is a share of. */
  healthyInService: number;
}

export interface LiveInstance {
  id: string;
  /** Known to Auto Scaling (in a group) or to Systems Manager (a managed instance). */
  found: boolean;
  group?: string;
  lifecycle?: string;
  health?: string;
  /** When Systems Manager's agent on it last reported in, if it is Online now (it runs). */
  agentOnlineAt?: string;
}

export interface LiveDeployment {
  id: string;
  status?: string;
  description?: string;
  createdAt?: string;
  /** Who created it (CodeDeploy's `creator`: user, autoscaling, codeDeployRollback…). */
  creator?: string;
  /**
   * What the deployment group's owner says it is about (CodeDeploy's own configuration, which an
   * alarm's author cannot write): the Auto Scaling groups it deploys to, the alarms watching it.
   */
  group?: { autoScalingGroups: string[]; alarms: string[] };
}

/** Deployments that are themselves a rollback: undoing one would bring back what was rolled back. */
const ROLLBACK_CREATORS = new Set(['codeDeployRollback', 'CloudFormationRollback']);

export interface LiveState {
  now: Date;
  /** The kill switch read now, uncached; undefined when not read (a prepare step, which changes nothing). */
  paused?: boolean;
  /** The incident's alarm as read now; undefined when the incident has none. */
  alarm?: { state: string; changedAt: Date };
  groups: Record<string, LiveGroup>;
  instances: Record<string, LiveInstance>;
  /** The deployment group's newest (latest attempted) deployment. */
  latestDeployment?: LiveDeployment;
  /** Disruptions (instances replaced, restarted or drained) other executions have in flight, per group. */
  inFlight: Record<string, number>;
}

export { type ApprovalBasis, ApprovalBasisSchema };

export type Call = NonNullable<Applied['call']>;

export const KERNEL_STOPS = [
  'Paused',
  'Stale',
  'TargetNotNamedByAlarm',
  'ParameterNotAllowed',
  'AlreadyRecovered',
  'NotInAlarm',
  'NoLongerNeeded',
  'Superseded',
] as const;
/** Why the kernel holds a change back for good (each is a named error the workflow records as a skip). */
export type KernelStop = (typeof KERNEL_STOPS)[number];
/** Why this rung cannot help (the ladder climbs, else the skip is recorded). */
export type KernelNoop = 'AtCapacityLimit' | 'NotInAutoScalingGroup';

export type Decision =
  | { kind: 'stop'; reason: KernelStop; why: string }
  | { kind: 'noop'; reason: KernelNoop; why: string }
  | { kind: 'done'; why: string; call: Call; watch: Watch }
  | {
      kind: 'change';
      call: Call;
      watch: Watch;
      description: string;
      /** Instances replaced, restarted or drained, per Auto Scaling group: counted in flight until the execution ends. */
      disruption: Record<string, number>;
      /** Why a human must approve it (empty: nobody needs to). */
      approvalReasons: string[];
      basis: ApprovalBasis;
    };

/** A rule's scaling action, the part the kernel reads. */
type ScaleAction = Extract<Action, { type: 'scale-out' | 'scale-in' }>;

export interface KernelInput {
  incident: Incident;
  plan: Plan;
  /** For a rollback: what the prepare step chose from CodeDeploy's history (which deployment, which revision). */
  rollback?: RollbackChoice;
  live: LiveState;
  /** The call an earlier attempt of this step recorded right before making it (it may have gone through). */
  claimed?: Call;
  /** The stack's automation role, which runbooks assume (part of the exact call). */
  automationRoleArn?: string;
}

type Stop = Extract<Decision, { kind: 'stop' }>;
const stop = (reason: KernelStop, why: string): Stop => ({ kind: 'stop', reason, why });
const noop = (reason: KernelNoop, why: string): Decision => ({ kind: 'noop', reason, why });

/** Rule 5's blast radius: how many instances of a group may be disrupted at once without a human. */
export function allowedInFlight(group: LiveGroup, limits: PlanSafety['blastRadius']): number {
  return Math.max(limits.maxInstances, Math.floor((limits.maxPercent / 100) * group.healthyInService));
}

/**
 * The capacity a scaling action sets on a group as it is: a scale-out only raises, a scale-in only
 * lowers, never outside [MinSize, MaxSize] nor past the rule's cap or floor. A noop when no such
 * value exists (at the cap, at the floor, a group already above its cap or its MaxSize…).
 */
export function nextCapacity(
  action: ScaleAction,
  group: Pick<LiveGroup, 'minSize' | 'maxSize' | 'desired'>,
): { to: number; limitedBy?: string } | { noop: string } {
  const { minSize, maxSize, desired } = group;
  if (action.type === 'scale-out') {
    const cap = action.maxCapacity ?? Number.POSITIVE_INFINITY;
    const ceiling = Math.min(maxSize, cap);
    const lowest = Math.max(minSize, desired + 1);
    if (lowest > ceiling)
      return {
        noop: `desired ${desired} is at or above ${ceiling === maxSize ? `MaxSize ${maxSize}` : `the rule's cap ${cap}`}: a scale-out would not raise it`,
      };
    const wanted = desired + action.step;
    const to = Math.min(Math.max(wanted, lowest), ceiling);
    return wanted > ceiling
      ? { to, limitedBy: ceiling === maxSize ? `MaxSize ${maxSize}` : `rule cap ${cap}` }
      : { to };
  }
  const floor = Math.max(minSize, action.minCapacity ?? 0);
  const highest = Math.min(maxSize, desired - 1);
  if (floor > highest)
    return {
      noop: `desired ${desired} is at or below ${floor === minSize ? `MinSize ${minSize}` : `the rule's floor ${floor}`}${floor > maxSize ? ` (above MaxSize ${maxSize})` : ''}: a scale-in would not lower it`,
    };
  const wanted = desired - action.step;
  const to = Math.max(Math.min(wanted, highest), floor);
  return wanted < floor ? { to, limitedBy: floor === minSize ? `MinSize ${minSize}` : `rule floor ${floor}` } : { to };
}

/** Rule 4: the alarm as read now. */
function alarmRule(incident: Incident, action: Action, safety: PlanSafety, live: LiveState): Stop | undefined {
  if (!incident.alarm || !live.alarm) return undefined;
  const { state, changedAt } = live.alarm;
  if (state === 'ALARM') return undefined;
  if (state === 'OK')
    return stop(
      'AlreadyRecovered',
      `${incident.alarm.name} is OK again since ${changedAt.toISOString()}: nothing to do`,
    );
  if (state === 'INSUFFICIENT_DATA' && (action.type === 'scale-out' || safety.actOnInsufficientData)) return undefined;
  return stop(
    'NotInAlarm',
    `${incident.alarm.name} is ${state} since ${changedAt.toISOString()}, not ALARM: not ${action.type === 'scale-out' ? 'acting' : `making a ${action.type}`} on what nobody can see is still wrong`,
  );
}

/** EC2 states an event reports an instance in that a person can undo (it runs again, the same instance). */
const UNDOABLE_STATES = new Set(['stopping', 'stopped']);

/**
 * Rule 4, for an incident an AWS event reported: what the event said is still true. An instance a
 * "stopped" event named whose Systems Manager agent reported in since then runs again (a person
 * stopped it to resize it, and started it): replacing it now would remove a working instance.
 */
function eventRule(incident: Incident, live: LiveState): Stop | undefined {
  const id = incident.target.instanceId;
  if (incident.source !== 'ec2' || !id || !UNDOABLE_STATES.has(incident.event?.state ?? '')) return undefined;
  const seen = live.instances[id]?.agentOnlineAt;
  if (seen && Date.parse(seen) > Date.parse(incident.detectedAt))
    return stop(
      'NoLongerNeeded',
      `${id} was reported ${incident.event?.state ?? ''} at ${incident.detectedAt}, but its Systems Manager agent reported in at ${seen}: it runs again`,
    );
  return undefined;
}

/** Rule 2: the incident's age, and a time nobody could have written yet. */
function ageRule(incident: Incident, plan: Plan, now: Date): Stop | undefined {
  if (plan.notAfter && now.getTime() > Date.parse(plan.notAfter))
    return stop(
      'Stale',
      `${incident.id} was detected at ${incident.detectedAt}; the maximum age ran out at ${plan.notAfter}`,
    );
  // An event's own time (a manual execution's is its start, which Step Functions writes).
  if (incident.source !== 'manual' && Date.parse(incident.detectedAt) > now.getTime() + MAX_CLOCK_SKEW_SECONDS * 1000)
    return stop(
      'Stale',
      `${incident.id} says it was detected at ${incident.detectedAt}, in the future: its age cannot be trusted`,
    );
  return undefined;
}

const numberIn = (call: Call | undefined, key: string): number | undefined => {
  const value = call?.input[key];
  return typeof value === 'number' ? value : undefined;
};

function capacityDecision(
  action: ScaleAction,
  live: LiveState,
  safety: PlanSafety,
  claimed: Call | undefined,
): Decision {
  const name = action.autoScalingGroupName;
  const group = live.groups[name];
  if (!group) return stop('NoLongerNeeded', `Auto Scaling group ${name} was not found`);
  const out = action.type === 'scale-out';
  const watch = (to: number): Watch => ({
    kind: 'auto-scaling-group',
    autoScalingGroupName: name,
    desiredCapacity: to,
  });
  const call = (to: number): Call => ({
    operation: 'AutoScaling.SetDesiredCapacity',
    input: { AutoScalingGroupName: name, DesiredCapacity: to, HonorCooldown: false },
  });
  const claimedTo = numberIn(claimed, 'DesiredCapacity');
  if (claimedTo !== undefined) {
    // An earlier attempt recorded this exact call: it is made again as it was, or not at all.
    if (group.desired === claimedTo)
      return {
        kind: 'done',
        why: `${name} desired capacity is already ${claimedTo}`,
        call: call(claimedTo),
        watch: watch(claimedTo),
      };
    const stillMonotone = out ? claimedTo > group.desired : claimedTo < group.desired;
    if (!stillMonotone || claimedTo > group.maxSize || claimedTo < group.minSize)
      return stop(
        'NoLongerNeeded',
        `${name} desired capacity is ${group.desired} now; the ${claimedTo} an earlier attempt set would ${out ? 'lower' : 'raise'} it or leave ${group.minSize}..${group.maxSize}`,
      );
    // The earlier call may have gone through before the group moved: made again, it may not be
    // larger than the change the kernel would make now, or it would act twice.
    const fresh = nextCapacity(action, group);
    if ('noop' in fresh || (out ? claimedTo > fresh.to : claimedTo < fresh.to))
      return stop(
        'NoLongerNeeded',
        `${name} desired capacity is ${group.desired} now: the ${claimedTo} an earlier attempt may already have set would be a larger change than ${'noop' in fresh ? 'none' : `${group.desired} → ${fresh.to}`}; not changing it again`,
      );
    return change(
      call(claimedTo),
      watch(claimedTo),
      `set ${name} desired capacity ${group.desired} → ${claimedTo} (again)`,
      out ? {} : { [name]: group.desired - claimedTo },
      { capacity: { from: group.desired, to: claimedTo } },
    );
  }
  const next = nextCapacity(action, group);
  if ('noop' in next) return noop('AtCapacityLimit', `${name}: ${next.noop}`);
  const description = `set ${name} desired capacity ${group.desired} → ${next.to}${next.limitedBy ? ` (limited by ${next.limitedBy})` : ''}`;
  // A scale-in drains the instances it removes; a scale-out disrupts nothing.
  const disruption = out ? {} : { [name]: group.desired - next.to };
  return change(call(next.to), watch(next.to), description, disruption, {
    capacity: { from: group.desired, to: next.to },
  });
}

function change(
  call: Call,
  watch: Watch,
  description: string,
  disruption: Record<string, number>,
  basis: Partial<ApprovalBasis> = {},
): Decision {
  return {
    kind: 'change',
    call,
    watch,
    description,
    disruption,
    approvalReasons: [],
    basis: { inFlight: {}, unseen: [], ...basis },
  };
}

function replaceDecision(instanceId: string, live: LiveState, claimed: Call | undefined): Decision {
  const instance = live.instances[instanceId];
  const call: Call = {
    operation: 'AutoScaling.SetInstanceHealth',
    input: { InstanceId: instanceId, HealthStatus: 'Unhealthy', ShouldRespectGracePeriod: false },
  };
  const watch = (group: string): Watch => ({
    kind: 'auto-scaling-group',
    autoScalingGroupName: group,
    desiredCapacity: live.groups[group]?.desired ?? 0,
    replacedInstanceId: instanceId,
  });
  const leaving =
    instance?.group !== undefined &&
    (instance.health?.toUpperCase() === 'UNHEALTHY' || (instance.lifecycle ?? '').startsWith('Terminat'));
  if (claimed) {
    // An earlier attempt marked it (or was about to): its group replacing it, or done with it, is this change.
    if (!instance?.group || leaving)
      return {
        kind: 'done',
        why: `${instanceId} is ${instance?.group ? `${instance.lifecycle ?? ''} ${instance.health ?? ''}`.trim() : 'out of its group'} after an earlier attempt`,
        call,
        watch: watch(instance?.group ?? ''),
      };
  }
  if (!instance?.group)
    return noop('NotInAutoScalingGroup', `${instanceId} is not in an Auto Scaling group: nothing would replace it`);
  if (leaving)
    return stop(
      'NoLongerNeeded',
      `${instanceId} is already ${instance.lifecycle ?? ''} ${instance.health ?? ''}: ${instance.group} is replacing it`,
    );
  return change(call, watch(instance.group), `mark ${instanceId} Unhealthy so ${instance.group} replaces it`, {
    [instance.group]: 1,
  });
}

/**
 * A rollback undoes only a deployment that can be what the incident is about: one created before
 * the incident was detected, and not itself a rollback (CodeDeploy's, CloudFormation's). A person's
 * fix started after the alarm, or CodeDeploy rolling back on its own, is never undone.
 */
function undoable(incident: Incident, deployment: LiveDeployment): string | undefined {
  if (deployment.creator && ROLLBACK_CREATORS.has(deployment.creator))
    return `${deployment.id} is itself a rollback (${deployment.creator}): undoing it would bring back what it rolled back`;
  if (deployment.createdAt && Date.parse(deployment.createdAt) > Date.parse(incident.detectedAt))
    return `${deployment.id} started at ${deployment.createdAt}, after the incident was detected (${incident.detectedAt}): it cannot be its cause`;
  return undefined;
}

function rollbackDecision(
  incident: Incident,
  prepared: RollbackChoice,
  live: LiveState,
  claimed: Call | undefined,
): Decision {
  const latest = live.latestDeployment;
  const group = `${prepared.application}/${prepared.deploymentGroup}`;
  if (prepared.mode === 'stop') {
    const call: Call = {
      operation: 'CodeDeploy.StopDeployment',
      input: { deploymentId: prepared.deploymentId, autoRollbackEnabled: true },
    };
    const watch: Watch = { kind: 'deployment', deploymentId: prepared.deploymentId };
    if (latest?.id !== prepared.deploymentId) {
      // A stop with autoRollbackEnabled that went through leaves CodeDeploy's rollback the newest.
      if (claimed && latest?.creator === 'codeDeployRollback')
        return {
          kind: 'done',
          why: `${prepared.deploymentId} was stopped by an earlier attempt; CodeDeploy's rollback ${latest.id} follows it`,
          call,
          watch,
        };
      return stop(
        'Superseded',
        `${group}'s newest deployment is ${latest?.id ?? 'unknown'} (${latest?.status ?? '?'}), not ${prepared.deploymentId}: someone deployed since; not stopping it`,
      );
    }
    const notTheCause = undoable(incident, latest);
    if (notTheCause) return stop('Superseded', notTheCause);
    if (!DEPLOYMENT_RUNNING.has(latest.status ?? '')) {
      // Only `Stopped` is what a stop leaves: a deployment that ran to its end was not stopped.
      if (claimed && latest.status === 'Stopped')
        return {
          kind: 'done',
          why: `${prepared.deploymentId} is Stopped after an earlier attempt`,
          call,
          watch,
        };
      return stop(
        'NoLongerNeeded',
        `${prepared.deploymentId} is ${latest.status ?? '?'}: ${claimed ? 'the stop an earlier attempt asked for did not stop it' : 'nothing to stop'}`,
      );
    }
    return change(call, watch, prepared.description, {});
  }
  const description = rollbackDescription(incident.id, prepared);
  const call: Call = {
    operation: 'CodeDeploy.CreateDeployment',
    input: {
      applicationName: prepared.application,
      deploymentGroupName: prepared.deploymentGroup,
      revision: prepared.revision,
      description,
    },
  };
  if (latest && latest.description === description)
    return {
      kind: 'done',
      why: `rollback deployment ${latest.id} was created by an earlier attempt`,
      call,
      watch: { kind: 'deployment', deploymentId: latest.id },
    };
  const notTheCause = latest ? undoable(incident, latest) : undefined;
  if (notTheCause) return stop('Superseded', notTheCause);
  if (latest?.id !== prepared.badDeploymentId)
    return stop(
      'Superseded',
      `${group}'s live deployment is ${latest?.id ?? 'unknown'} (${latest?.status ?? '?'}), not ${prepared.badDeploymentId}, which this rollback replaces: someone deployed since; not redeploying the revision of ${prepared.goodDeploymentId} over it`,
    );
  // The watch is the deployment the call creates: the apply step fills in its id.
  return change(call, { kind: 'deployment', deploymentId: '' }, prepared.description, {});
}

function automationDecision(
  action: Extract<Action, { type: 'run-automation' }>,
  incident: Incident,
  live: LiveState,
  automationRoleArn: string | undefined,
): Decision {
  const instances = automationInstances(action);
  const disruption: Record<string, number> = {};
  const unseen: string[] = [];
  for (const id of instances) {
    const instance = live.instances[id];
    if (instance?.group) disruption[instance.group] = (disruption[instance.group] ?? 0) + 1;
    else if (!instance?.found) unseen.push(id);
  }
  // Idempotent by its ClientToken (derived from the incident): a retry starts nothing new.
  const call: Call = {
    operation: 'SSM.StartAutomationExecution',
    input: automationRequest(action, incident.id, automationRoleArn),
  };
  const proposal = change(
    call,
    { kind: 'automation', executionId: '' },
    `run ${action.documentName} with ${JSON.stringify(action.parameters)}`,
    disruption,
    { unseen },
  );
  if (proposal.kind === 'change' && unseen.length > 0)
    proposal.approvalReasons.push(
      `the platform cannot see ${unseen.join(', ')} (not in an Auto Scaling group, not a Systems Manager managed instance): it may not exist`,
    );
  return proposal;
}

/** Rule 6: what makes this change a human's decision. */
function approvalReasons(
  decision: Extract<Decision, { kind: 'change' }>,
  action: Action,
  incident: Incident,
  plan: Plan,
  live: LiveState,
  safety: PlanSafety,
): void {
  if (plan.approval.required) decision.approvalReasons.unshift('the plan requires approval');
  const capacity = decision.basis.capacity;
  const threshold = plan.approval.capacityIncreaseOverPercent;
  if (capacity && threshold !== undefined && capacity.to > capacity.from) {
    const increase =
      capacity.from === 0 ? Number.POSITIVE_INFINITY : ((capacity.to - capacity.from) / capacity.from) * 100;
    if (increase > threshold)
      decision.approvalReasons.push(
        `capacity ${capacity.from} → ${capacity.to} (${Number.isFinite(increase) ? `+${Math.round(increase)} %` : 'from zero'}) is over the +${threshold} % approval threshold`,
      );
  }
  const healthy = healthyTakenOut(action, decision, live);
  for (const [groupName, count] of Object.entries(decision.disruption)) {
    const group = live.groups[groupName];
    const others = live.inFlight[groupName] ?? 0;
    decision.basis.inFlight[groupName] = others;
    const allowed = group ? allowedInFlight(group, safety.blastRadius) : safety.blastRadius.maxInstances;
    if (others + count > allowed)
      decision.approvalReasons.push(
        `${others + count} instance${others + count > 1 ? 's' : ''} of ${groupName} would be replaced, restarted or drained at once (${others} already by other remediations), more than the ${allowed} its ${group?.healthyInService ?? '?'} healthy InService instances allow`,
      );
    // However small the share: never the last healthy instance, without a human.
    const taken = healthy[groupName] ?? 0;
    if (taken > 0 && (group?.healthyInService ?? 0) - others - taken < 1)
      decision.approvalReasons.push(
        `${groupName} would be left with no healthy InService instance (${group?.healthyInService ?? 0} now, ${others} already disrupted by other remediations)`,
      );
  }
  // A person who starts an execution (a manual request, or an incident's shape passed by hand) has
  // a human approve what the policy lists, however the input is shaped and whichever rung it is.
  if (safety.startedBy === 'operator' && safety.operatorApproval.includes(action.type))
    decision.approvalReasons.push(
      `a person started this execution${incident.source === 'manual' ? '' : ' (not ingest: an incident passed by hand)'}, and the policy has a human approve a ${action.type} a person starts`,
    );
  // Whoever may tag an alarm must not choose, by its tags alone, what is disrupted.
  const unattested = targetKeysOf(action).filter(
    (key) => !key.startsWith('automation:') && !attestedNow(key, action, incident, live, safety),
  );
  if (action.type !== 'scale-out' && unattested.length > 0)
    decision.approvalReasons.push(
      `only the alarm's tags name ${unattested.join(', ')} (whoever may tag an alarm chose it), and the deployment group's own CodeDeploy configuration does not tie it to this alarm or its Auto Scaling group`,
    );
}

/**
 * A target is attested when AWS, the policy or an operator named it (`bound.attested`), or — for a
 * deployment group — when CodeDeploy's configuration of that group, read live, names the alarm or
 * an Auto Scaling group the alarm attests: the group's owner ties them together, not the alarm's.
 */
function attestedNow(key: string, action: Action, incident: Incident, live: LiveState, safety: PlanSafety): boolean {
  if (safety.bound.attested.includes(key)) return true;
  const group = live.latestDeployment?.group;
  if (action.type !== 'rollback-deployment' || !group) return false;
  if (incident.alarm && group.alarms.includes(incident.alarm.name)) return true;
  return group.autoScalingGroups.some((name) => safety.bound.attested.includes(targetKey.group(name)));
}

/** Healthy InService instances a change takes out, per group (a scale-in's drained ones count as healthy). */
function healthyTakenOut(
  action: Action,
  decision: Extract<Decision, { kind: 'change' }>,
  live: LiveState,
): Record<string, number> {
  const isHealthy = (id: string) => {
    const i = live.instances[id];
    return i?.lifecycle === 'InService' && i.health?.toUpperCase() === 'HEALTHY';
  };
  if (action.type === 'scale-in') return { ...decision.disruption };
  const ids =
    action.type === 'replace-instance'
      ? [action.instanceId]
      : action.type === 'run-automation'
        ? automationInstances(action)
        : [];
  const taken: Record<string, number> = {};
  for (const id of ids) {
    const group = live.instances[id]?.group;
    if (group && isHealthy(id)) taken[group] = (taken[group] ?? 0) + 1;
  }
  return taken;
}

/**
 * Rules 1–4, which need nothing of the target's state: a stop they decide holds even when reading
 * the target failed (the kill switch on, or the alarm back to OK, wins over a throttled describe).
 */
export function gate(input: Pick<KernelInput, 'incident' | 'plan' | 'live'>): Stop | undefined {
  const { incident, plan, live } = input;
  const action = plan.action;
  if (!action || action.type === 'notify') return stop('NoLongerNeeded', 'the plan changes no resource');
  if (live.paused) return stop('Paused', `the kill switch is on: not changing anything for ${incident.id}`);
  const aged = ageRule(incident, plan, live.now);
  if (aged) return aged;
  const safety = plan.safety;
  if (!safety)
    return stop('TargetNotNamedByAlarm', 'the plan was made before targets were bound to incidents: nothing is bound');
  const outside = outsideBound(action, safety.bound);
  if (outside) return stop(outside.reason, outside.why);
  return alarmRule(incident, action, safety, live) ?? eventRule(incident, live);
}

/**
 * The kernel: what may be done about this incident's planned action right now, from the live state.
 * Pure: the same input always gives the same decision.
 */
export function decide(input: KernelInput): Decision {
  const { incident, plan, live, claimed } = input;
  const gated = gate(input);
  if (gated) return gated;
  const { action, safety } = plan;
  if (!action || action.type === 'notify' || !safety) return stop('NoLongerNeeded', 'the plan changes no resource');
  let decision: Decision;
  switch (action.type) {
    case 'scale-out':
    case 'scale-in':
      decision = capacityDecision(action, live, safety, claimed);
      break;
    case 'replace-instance':
      decision = replaceDecision(action.instanceId, live, claimed);
      break;
    case 'rollback-deployment':
      if (!input.rollback) return stop('NoLongerNeeded', 'no rollback was prepared');
      if (
        input.rollback.application !== action.application ||
        input.rollback.deploymentGroup !== action.deploymentGroup
      )
        return stop(
          'TargetNotNamedByAlarm',
          `the prepared rollback is of ${input.rollback.application}/${input.rollback.deploymentGroup}, not the planned ${action.application}/${action.deploymentGroup}`,
        );
      decision = rollbackDecision(incident, input.rollback, live, claimed);
      break;
    case 'run-automation':
      decision = automationDecision(action, incident, live, input.automationRoleArn);
      break;
  }
  if (decision.kind === 'change') approvalReasons(decision, action, incident, plan, live, safety);
  return decision;
}

/** What the decision means right before the call, given what a human approved (if they did). */
export type CallVerdict =
  | { verdict: 'go'; decision: Extract<Decision, { kind: 'change' }> }
  | { verdict: 'done'; decision: Extract<Decision, { kind: 'done' }> }
  | { verdict: 'stop'; reason: KernelStop; why: string }
  | { verdict: 'approve'; why: string };

/**
 * Right before the call: a change that needs a human goes out only when a human approved this very
 * change; a change the approver did not see (another direction, larger than approved, more in
 * flight, a target they were not told about) goes back to them, or is no longer needed.
 */
export function atCall(decision: Decision, approved: ApprovalBasis | undefined, tolerance: number): CallVerdict {
  if (decision.kind === 'stop' || decision.kind === 'noop')
    // A rung that cannot help right before its call is no longer needed (it could at prepare).
    return {
      verdict: 'stop',
      reason: decision.kind === 'stop' ? decision.reason : 'NoLongerNeeded',
      why: decision.why,
    };
  if (decision.kind === 'done') return { verdict: 'done', decision };
  const reasons = decision.approvalReasons;
  if (reasons.length === 0) return { verdict: 'go', decision };
  if (!approved) return { verdict: 'approve', why: reasons.join('; ') };
  const now = decision.basis;
  if (now.capacity && approved.capacity) {
    const seen = approved.capacity.to - approved.capacity.from;
    const wanted = now.capacity.to - now.capacity.from;
    if (Math.sign(seen) !== Math.sign(wanted))
      return {
        verdict: 'stop',
        reason: 'NoLongerNeeded',
        why: `approved ${approved.capacity.from} → ${approved.capacity.to}, but the group is at ${now.capacity.from} now: the change would go the other way`,
      };
    if (Math.abs(wanted) > Math.abs(seen) + tolerance)
      return {
        verdict: 'approve',
        why: `the change is ${now.capacity.from} → ${now.capacity.to} now, larger than the ${approved.capacity.from} → ${approved.capacity.to} approved`,
      };
  } else if (now.capacity && !approved.capacity) {
    return { verdict: 'approve', why: 'the approval named no capacity change' };
  }
  for (const [group, others] of Object.entries(now.inFlight))
    if ((decision.disruption[group] ?? 0) > 0 && others > (approved.inFlight[group] ?? 0))
      return {
        verdict: 'approve',
        why: `${others} other remediations are disrupting ${group} now; the approver saw ${approved.inFlight[group] ?? 0}`,
      };
  const unseen = now.unseen.filter((id) => !approved.unseen.includes(id));
  if (unseen.length > 0) return { verdict: 'approve', why: `the approver was not told about ${unseen.join(', ')}` };
  return { verdict: 'go', decision };
}

/** The guard-table keys of the groups a change disrupts (counted in flight across executions). */
export const disruptionKey = (group: string): string => `disruption:${targetKey.group(group)}`;

/** What a prepare step records of the kernel's decision: the change, whether a human must approve it, and its key. */
export interface PreparedChange {
  status: 'ready' | 'noop';
  reason?: KernelNoop;
  description: string;
  approvalRequired: boolean;
  approvalReason?: string;
  key: string;
  basis: ApprovalBasis;
}

/**
 * At prepare: the change the kernel would make on the state read now, and whether a human must
 * approve it first (a dry run asks nobody). A stop is the caller's to throw; `round` counts how
 * often this rung was prepared, so that a key is never reused for another change.
 */
export function atPrepare(decision: Exclude<Decision, { kind: 'stop' }>, plan: Plan, round: number): PreparedChange {
  const key = (what: unknown) =>
    `${plan.escalation.step}.${round}.${createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 16)}`;
  if (decision.kind === 'noop')
    return {
      status: 'noop',
      reason: decision.reason,
      description: decision.why,
      approvalRequired: false,
      key: key(decision),
      basis: { inFlight: {}, unseen: [] },
    };
  if (decision.kind === 'done')
    return {
      status: 'ready',
      description: decision.why,
      approvalRequired: false,
      key: key(decision.call),
      basis: { inFlight: {}, unseen: [] },
    };
  const asked = !plan.dryRun && decision.approvalReasons.length > 0;
  return {
    status: 'ready',
    description:
      plan.dryRun && decision.approvalReasons.length > 0
        ? `${decision.description} (would need approval: ${decision.approvalReasons.join('; ')})`
        : decision.description,
    approvalRequired: asked,
    ...(asked ? { approvalReason: decision.approvalReasons.join('; ') } : {}),
    key: key({ call: decision.call, basis: decision.basis }),
    basis: decision.basis,
  };
}
