import type { Incident } from '../incident';
import { NO_ESCALATION, type Plan, type PlanSafety, type SkipReason, firstWait } from '../execution-state';
import { type Action, isMutating } from './actions';
import { actionFromAlarmTags } from './alarm-tags';
import { ruleMatches } from './match';
import { DEFAULT_COOLDOWN_SECONDS, type Policy, type Rule } from './schema';
import { UnresolvedTemplateError, policyWritten, renderDeep } from './template';
import { describeAction } from './describe';
import type { StartedBy } from '../provenance';
import { PLATFORM_PARAMETERS, identityTargets, namedTargets, outsideBound, targetKey, targetKeysOf } from '../targets';

export { actionFromAlarmTags, describeAction, ruleMatches };

export interface PlanOptions {
  stackDryRun: boolean;
  now: Date;
  /** What the stack provides to rules as {{platform.*}}, e.g. its own runbook's name. */
  platform?: Record<string, string>;
  /** The stack's Environment (approval thresholds name environments). */
  environment?: string;
  /** Stack-wide shadow mode: every rule behaves as `mode: shadow`. */
  shadow?: boolean;
  maxIncidentAgeSeconds?: number;
  /** Who started the execution (domain/provenance.ts); a manual request is always an operator's. */
  startedBy?: StartedBy;
}

const DEFAULT_PROGRESS = { intervalSeconds: 30, timeoutSeconds: 900 };
/** Must equal the TimeoutSeconds of "Request Approval" in remediation.asl.json (a test checks it). */
export const APPROVAL_TIMEOUT_SECONDS = 3600;
const DEFAULT_VERIFY = { intervalSeconds: 60, timeoutSeconds: 900, enabled: true };
/** Incidents detected longer ago than this are not acted on (template parameter MaxIncidentAgeSeconds). */
export const DEFAULT_MAX_INCIDENT_AGE_SECONDS = 7200;

function polls(loop: { intervalSeconds: number; timeoutSeconds: number }) {
  const maxPolls = Math.max(1, Math.ceil(loop.timeoutSeconds / loop.intervalSeconds));
  return {
    intervalSeconds: loop.intervalSeconds,
    maxPolls,
    firstWaitSeconds: firstWait(loop.intervalSeconds, maxPolls),
  };
}

const minutes = (seconds: number) => (seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`);

/** The approval a rule (or a manual execution) asks for: the rule's own, else the policy's, else none. */
function approvalFor(
  rule: Rule | undefined,
  policy: Policy,
  environment: string | undefined,
): { required: boolean; capacityIncreaseOverPercent?: number; why?: string } {
  // A manual execution has no rule: the policy's own setting (thresholds, environments) applies.
  const setting = (rule ? rule.approval : undefined) ?? policy.approval ?? 'none';
  if (setting === 'none') return { required: false };
  if (setting === 'required')
    return { required: true, why: rule ? `rule ${rule.name} requires it` : 'the policy requires it' };
  if (environment && setting.environments?.includes(environment))
    return { required: true, why: `every change in the ${environment} environment needs it` };
  return setting.capacityIncreaseOverPercent !== undefined
    ? { required: false, capacityIncreaseOverPercent: setting.capacityIncreaseOverPercent }
    : { required: false };
}

type Loop = { intervalSeconds: number; timeoutSeconds: number };
type Step = { action: Action; progress: Plan['progress']; verify: Plan['verify'] };
/** An action as the policy (or the alarm's tags, or an operator) wrote it, and as rendered for this incident. */
type Rendered = { written: Action; action: Action };
type ActionSource = NonNullable<Plan['actionSource']>;

/** One incident being planned: its inputs and the explanation the steps below add to, in order. */
interface Planning {
  incident: Incident;
  policy: Policy;
  options: PlanOptions;
  /** What `{{...}}` placeholders in actions render from. */
  context: object;
  explanation: string[];
}

/** The targets a rendered field names that the policy itself wrote (no placeholder from the incident). */
function writtenTargets(written: Action, action: Action): string[] {
  switch (action.type) {
    case 'scale-out':
    case 'scale-in':
      return written.type === action.type && policyWritten(written.autoScalingGroupName)
        ? [targetKey.group(action.autoScalingGroupName)]
        : [];
    case 'replace-instance':
      return written.type === action.type && policyWritten(written.instanceId)
        ? [targetKey.instance(action.instanceId)]
        : [];
    case 'rollback-deployment':
      return written.type === action.type &&
        policyWritten(written.application) &&
        policyWritten(written.deploymentGroup)
        ? [targetKey.deploymentGroup(action.application, action.deploymentGroup)]
        : [];
    case 'run-automation':
      if (written.type !== action.type) return [];
      return (written.parameters.InstanceId ?? []).every(policyWritten) ? targetKeysOf(action) : [];
    case 'notify':
      return [];
  }
}

/**
 * What the plan's changes are bound to (the safety kernel refuses anything else): the incident's
 * identity, the targets and runbook values the policy writes or allow-lists, and, for an operator's
 * manual request, what the operator asked for.
 */
function safetyOf(planning: Planning, rule: Rule | undefined, actions: Rendered[], fromTags: boolean): PlanSafety {
  const { incident, policy } = planning;
  const manual = incident.source === 'manual';
  const allowed = [...(rule?.allowedTargets ?? []), ...(fromTags ? (rule?.trustAlarmTags?.allowedTargets ?? []) : [])];
  const identity = identityTargets(incident, policy.safety.targetBindings);
  // Attested: what AWS, the policy or an operator names. What only the alarm's tags name binds too,
  // but the kernel then has a human approve anything but a scale-out (unless CodeDeploy ties them).
  const attested = new Set([...identity.attested, ...namedTargets(allowed)]);
  const documents = new Set<string>(fromTags ? (rule?.trustAlarmTags?.allowedDocuments ?? []) : []);
  const parameterValues: Record<string, Set<string>> = {};
  const permit = (name: string, values: readonly string[]) => {
    parameterValues[name] ??= new Set();
    for (const value of values) parameterValues[name].add(value);
  };
  for (const { written, action } of actions) {
    // What tags chose is the alarm owner's text, not the policy's, however literal it looks.
    for (const key of manual ? targetKeysOf(action) : fromTags ? [] : writtenTargets(written, action))
      attested.add(key);
    if (action.type !== 'run-automation' || written.type !== 'run-automation') continue;
    if (manual || (!fromTags && policyWritten(written.documentName))) documents.add(action.documentName);
    for (const [name, values] of Object.entries(action.parameters)) {
      if (PLATFORM_PARAMETERS.has(name)) continue;
      const writtenValues = written.parameters[name] ?? [];
      permit(
        name,
        values.filter((_, i) => manual || (writtenValues[i] !== undefined && policyWritten(writtenValues[i]))),
      );
      permit(name, written.allowedValues?.[name] ?? []);
    }
  }
  return {
    bound: {
      targets: [...new Set([...attested, ...identity.declared])].sort(),
      attested: [...attested].sort(),
      documents: [...documents].sort(),
      parameterValues: Object.fromEntries(Object.entries(parameterValues).map(([k, v]) => [k, [...v].sort()])),
    },
    actOnInsufficientData: rule?.actOnInsufficientData ?? false,
    blastRadius: policy.safety.blastRadius,
    approvedChangeToleranceInstances: policy.safety.approvedChangeToleranceInstances,
    startedBy: startedByOf(planning),
    operatorApproval: [...policy.safety.manualApprovalRequired],
  };
}

/** What every plan carries, acting or not: dry run and shadow, loops, cooldown, approval and ladder defaults. */
function planBase(planning: Planning, rule: Rule | undefined) {
  const { incident, options, explanation } = planning;
  const shadow = rule !== undefined && (rule.mode === 'shadow' || options.shadow === true);
  const sources: Plan['dryRunSources'] = [
    ...(options.stackDryRun ? ['stack' as const] : []),
    ...(incident.dryRun ? ['incident' as const] : []),
    ...(rule?.dryRun ? ['rule' as const] : []),
    ...(shadow ? ['shadow' as const] : []),
  ];
  return {
    dryRun: sources.length > 0,
    dryRunSources: sources,
    shadow,
    progress: polls(rule?.progress ?? DEFAULT_PROGRESS),
    cooldownSeconds: rule?.cooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS,
    approval: { required: false, timeoutSeconds: APPROVAL_TIMEOUT_SECONDS } as Plan['approval'],
    escalation: NO_ESCALATION,
    changeCheck: { enabled: false } as Plan['changeCheck'],
    ...(options.environment ? { environment: options.environment } : {}),
    plannedAt: options.now.toISOString(),
    explanation,
  };
}

function skipPlan(planning: Planning, reason: SkipReason, notifyOnSkip: boolean, rule?: Rule): Plan {
  return {
    decision: 'skip',
    reason,
    ...(rule ? { rule: rule.name } : {}),
    notifyOnSkip,
    ...planBase(planning, rule),
    verify: { ...polls(rule?.verify ?? DEFAULT_VERIFY), enabled: false },
  };
}

function stepFor(planning: Planning, action: Action, progress: Loop, verify: Loop & { enabled?: boolean }): Step {
  return {
    action,
    progress: polls(progress),
    verify: {
      ...polls(verify),
      enabled: (verify.enabled ?? true) && isMutating(action.type) && planning.incident.alarm !== undefined,
    },
  };
}

const startedByOf = (planning: Planning): StartedBy =>
  planning.incident.source === 'manual' ? 'operator' : (planning.options.startedBy ?? 'ingest');

/** The approval the plan asks for (a dry run asks nobody: it changes nothing). */
function planApproval(
  planning: Planning,
  rule: Rule | undefined,
  action: Action,
  dryRun: boolean,
  source: ActionSource,
): Plan['approval'] {
  const none = { required: false, timeoutSeconds: APPROVAL_TIMEOUT_SECONDS };
  if (dryRun || !isMutating(action.type)) return none;
  if (source === 'alarm-tags' && rule?.trustAlarmTags?.approvalRequired.includes(action.type)) {
    planning.explanation.push(
      `A human must approve within ${APPROVAL_TIMEOUT_SECONDS} s (rule ${rule.name} requires it for ${action.type} chosen by alarm tags).`,
    );
    return { required: true, timeoutSeconds: APPROVAL_TIMEOUT_SECONDS };
  }
  const manualTypes = planning.policy.safety.manualApprovalRequired;
  if ((source === 'manual' || startedByOf(planning) === 'operator') && manualTypes.includes(action.type)) {
    planning.explanation.push(
      source === 'manual'
        ? `A human must approve within ${APPROVAL_TIMEOUT_SECONDS} s (a manual ${action.type} waits for one: the policy's safety.manualApprovalRequired).`
        : `A human must approve within ${APPROVAL_TIMEOUT_SECONDS} s: ingest did not start this execution (a person passed an incident by hand), and a ${action.type} a person starts waits for one (safety.manualApprovalRequired).`,
    );
    return { required: true, timeoutSeconds: APPROVAL_TIMEOUT_SECONDS };
  }
  const approval = approvalFor(rule, planning.policy, planning.options.environment);
  if (approval.required) {
    planning.explanation.push(
      `A human must approve within ${APPROVAL_TIMEOUT_SECONDS} s (${approval.why ?? 'policy'}).`,
    );
    return { required: true, timeoutSeconds: APPROVAL_TIMEOUT_SECONDS };
  }
  if (approval.capacityIncreaseOverPercent === undefined) return none;
  if (action.type === 'scale-out')
    planning.explanation.push(
      `A human must approve if the scale-out raises capacity by more than ${approval.capacityIncreaseOverPercent} %.`,
    );
  return { ...none, capacityIncreaseOverPercent: approval.capacityIncreaseOverPercent };
}

/** The acting plan for these steps (one action, or the rungs of a ladder). */
function actPlan(
  planning: Planning,
  steps: [Step, ...Step[]],
  actionSource: ActionSource,
  safety: PlanSafety,
  rule?: Rule,
): Plan {
  const { incident, explanation } = planning;
  const rest = planBase(planning, rule);
  const [first] = steps;
  if (!first.verify.enabled) {
    explanation.push(
      incident.alarm
        ? 'Recovery check off for this action.'
        : 'No alarm to watch: the action finishing is the recovery.',
    );
  }
  if (rest.shadow) {
    explanation.push(
      `Shadow mode (${rule?.mode === 'shadow' ? `rule ${rule.name}` : 'whole stack'}): nothing changes; the platform records what it would do and watches whether ${incident.alarm?.name ?? 'the incident'} recovers by itself.`,
    );
  } else if (rest.dryRun) {
    explanation.push(`Dry run (${rest.dryRunSources.join(', ')}): no mutating call will be made.`);
  }
  rest.approval = planApproval(planning, rule, first.action, rest.dryRun, actionSource);
  if (steps.length > 1) {
    rest.escalation = { step: 1, of: steps.length, hasNext: !rest.dryRun, steps };
    explanation.push(
      `Escalation ladder: ${steps.map((s, i) => `${i + 1}. ${describeAction(s.action)}${i < steps.length - 1 ? ` (OK within ${minutes(s.verify.intervalSeconds * s.verify.maxPolls)}, else next)` : ''}`).join('; ')}.`,
    );
  }
  const ageLimit = ageLimitSeconds(planning, rule);
  const notAfter = actionSource === 'manual' ? undefined : new Date(Date.parse(incident.detectedAt) + ageLimit * 1000);
  return {
    decision: 'act',
    ...(rule ? { rule: rule.name } : {}),
    actionSource,
    action: first.action,
    notifyOnSkip: false,
    ...rest,
    progress: first.progress,
    verify: first.verify,
    ...(notAfter ? { notAfter: notAfter.toISOString() } : {}),
    safety,
  };
}

/** Renders an action's placeholders; undefined (with the reason explained) when a target is unknown. */
function render(planning: Planning, action: Action, what: string): Action | undefined {
  try {
    return renderDeep(action, planning.context);
  } catch (error) {
    if (!(error instanceof UnresolvedTemplateError)) throw error;
    planning.explanation.push(`${what}: ${error.message}.`);
    return undefined;
  }
}

/** A manual execution: the operator's action, rendered. */
function planManual(planning: Planning, requested: Action): Plan {
  planning.explanation.push(`Manual execution requested ${requested.type}.`);
  const action = render(planning, requested, 'Cannot resolve the target');
  if (!action) return skipPlan(planning, 'TargetUnresolved', true);
  planning.explanation.push(`Action: ${describeAction(action)}.`);
  const safety = safetyOf(planning, undefined, [{ written: requested, action }], false);
  return actPlan(planning, [stepFor(planning, action, DEFAULT_PROGRESS, DEFAULT_VERIFY)], 'manual', safety);
}

/** A rung or action that reaches outside what the plan is bound to: explained, and why (undefined when inside). */
function refusedBySafety(planning: Planning, step: Step, safety: PlanSafety, what: string): SkipReason | undefined {
  const outside = outsideBound(step.action, safety.bound);
  if (!outside) return undefined;
  planning.explanation.push(`${what}: ${outside.why}.`);
  return outside.reason;
}

/** The rungs of a rule's ladder that resolve (an unresolvable rung is left out and said so). */
function ladderSteps(
  planning: Planning,
  rule: Rule,
  ladder: NonNullable<Rule['escalation']>,
): (Step & { written: Action })[] {
  return ladder.flatMap((step, index) => {
    const action = render(planning, step.action, `Escalation step ${index + 1} (${step.action.type}) left out`);
    return action
      ? [
          {
            ...stepFor(planning, action, step.progress ?? rule.progress, { ...rule.verify, ...step.verify }),
            written: step.action,
          },
        ]
      : [];
  });
}

/** A rule's single action: its own, or one its alarm's tags choose within the rule's trust. */
function ruleAction(planning: Planning, rule: Rule): { action: Action; source: ActionSource } | Plan {
  const tags = planning.incident.alarm?.tags ?? {};
  if (!rule.trustAlarmTags || tags['selfhealing:action'] === undefined)
    return { action: rule.action as Action, source: 'rule' };
  const fromTags = actionFromAlarmTags(tags, rule.trustAlarmTags);
  if (!fromTags.ok) {
    planning.explanation.push(`Alarm tags not usable: ${fromTags.why}.`);
    return skipPlan(planning, fromTags.reason, true, rule);
  }
  planning.explanation.push(`Action ${fromTags.action.type} chosen by the alarm's selfhealing:action tag.`);
  return { action: fromTags.action, source: 'alarm-tags' };
}

/** The maximum age of an incident it is still safe to act on: the rule's, else the stack's. */
function ageLimitSeconds(planning: Planning, rule: Rule | undefined): number {
  return rule?.maxIncidentAgeSeconds ?? planning.options.maxIncidentAgeSeconds ?? DEFAULT_MAX_INCIDENT_AGE_SECONDS;
}

/** Too old to act on safely: the rule's (or stack's) maximum age since the incident was detected. */
function tooOld(planning: Planning, rule: Rule): boolean {
  const { incident, options, explanation } = planning;
  const ageLimit = ageLimitSeconds(planning, rule);
  const ageSeconds = Math.round((options.now.getTime() - Date.parse(incident.detectedAt)) / 1000);
  if (ageSeconds <= ageLimit) return false;
  explanation.push(
    `Detected ${ageSeconds} s ago, more than the maximum age of ${ageLimit} s: too old to act on safely.`,
  );
  return true;
}

/** What a matched rule does about the incident. */
function planRule(planning: Planning, rule: Rule): Plan {
  let steps: (Step & { written: Action })[];
  let source: ActionSource = 'rule';
  if (rule.escalation) {
    steps = ladderSteps(planning, rule, rule.escalation);
  } else {
    const chosen = ruleAction(planning, rule);
    if ('decision' in chosen) return chosen;
    source = chosen.source;
    const action = render(planning, chosen.action, 'Cannot resolve the target');
    if (!action) return skipPlan(planning, 'TargetUnresolved', true, rule);
    steps = [
      {
        ...stepFor(planning, action, rule.progress ?? DEFAULT_PROGRESS, rule.verify ?? DEFAULT_VERIFY),
        written: chosen.action,
      },
    ];
  }
  const safety = safetyOf(planning, rule, steps, source === 'alarm-tags');
  // The kernel refuses a change outside what the plan is bound to; the plan says so now instead.
  let refusal: SkipReason | undefined;
  const kept = steps.filter((step, index) => {
    const what =
      steps.length > 1 ? `Escalation step ${index + 1} (${step.action.type}) left out` : 'Not acting on this target';
    const refused = isMutating(step.action.type) ? refusedBySafety(planning, step, safety, what) : undefined;
    refusal ??= refused;
    return refused === undefined;
  });
  const [first, ...rest] = kept;
  // Every rung that changes something was refused: only the human at the end of the ladder would be left.
  if (!first || (!isMutating(first.action.type) && kept.length < steps.length)) {
    if (!first) planning.explanation.push('No escalation step could be resolved.');
    else planning.explanation.push('Only the human at the end of the ladder is left.');
    return skipPlan(planning, refusal ?? 'TargetUnresolved', true, rule);
  }
  planning.explanation.push(`Action: ${describeAction(first.action)}.`);
  const plan = actPlan(planning, [first, ...rest], source, safety, rule);
  if (rule.preferRollbackAfterChange)
    plan.changeCheck = changeCheckFor(
      rule.preferRollbackAfterChange,
      planning.incident,
      first.action,
      planning.context,
      planning.explanation,
      safety,
    );
  return plan;
}

/**
 * Decides what to do about one incident. Pure: the same incident, policy and options always
 * give the same plan, and the plan says why (`explanation`) in words an on-call engineer reads.
 * In order: a manual request; an alarm not in ALARM; the first enabled rule that matches; its age
 * limit; its action (or ladder, or the alarm's tags).
 */
export function planRemediation(incident: Incident, policy: Policy, options: PlanOptions): Plan {
  const planning: Planning = {
    incident,
    policy,
    options,
    context: { ...incident, platform: options.platform ?? {} },
    explanation: [],
  };
  if (incident.requestedAction) return planManual(planning, incident.requestedAction);
  if (incident.alarm && incident.alarm.state !== 'ALARM') {
    planning.explanation.push(`Alarm is ${incident.alarm.state}, not ALARM: nothing to remediate.`);
    return skipPlan(planning, 'NotInAlarm', false);
  }
  const rule = policy.rules.find((candidate) => candidate.enabled && ruleMatches(candidate.match, incident));
  if (!rule) {
    planning.explanation.push(`No enabled rule of ${policy.rules.length} matched ${incident.summary}.`);
    return skipPlan(planning, 'NoMatchingRule', false);
  }
  planning.explanation.push(`Rule ${rule.name} matched${rule.description ? `: ${rule.description}` : ''}.`);
  if (tooOld(planning, rule)) return skipPlan(planning, 'Stale', true, rule);
  return planRule(planning, rule);
}

/** What the change-correlation step should look at: the service's deployment group and Auto Scaling group, in the window before the alarm. */
function changeCheckFor(
  prefer: NonNullable<Rule['preferRollbackAfterChange']>,
  incident: Incident,
  action: Action,
  context: object,
  explanation: string[],
  safety: PlanSafety,
): Plan['changeCheck'] {
  if (!incident.alarm || action.type === 'rollback-deployment' || !isMutating(action.type)) return { enabled: false };
  const render = (value: string | undefined) => {
    if (value === undefined) return undefined;
    try {
      return renderDeep(value, context);
    } catch (error) {
      if (error instanceof UnresolvedTemplateError) return undefined;
      throw error;
    }
  };
  const application = render(prefer.application) ?? incident.target.codedeploy?.application;
  const deploymentGroup = render(prefer.deploymentGroup) ?? incident.target.codedeploy?.deploymentGroup;
  // The rollback it may plan must be bound as any other change: written by the policy, or named by the alarm.
  if (application !== undefined && deploymentGroup !== undefined) {
    const key = targetKey.deploymentGroup(application, deploymentGroup);
    const written =
      prefer.application !== undefined &&
      prefer.deploymentGroup !== undefined &&
      policyWritten(prefer.application) &&
      policyWritten(prefer.deploymentGroup);
    if (written && !safety.bound.attested.includes(key)) {
      safety.bound.targets = [...new Set([...safety.bound.targets, key])].sort();
      safety.bound.attested = [...safety.bound.attested, key].sort();
    }
  }
  const autoScalingGroupName =
    action.type === 'scale-out' || action.type === 'scale-in'
      ? action.autoScalingGroupName
      : incident.target.autoScalingGroupName;
  const hasDeploymentGroup =
    application !== undefined &&
    deploymentGroup !== undefined &&
    safety.bound.targets.includes(targetKey.deploymentGroup(application, deploymentGroup));
  if (!hasDeploymentGroup && !autoScalingGroupName) {
    explanation.push(
      'Change-aware: no CodeDeploy deployment group or Auto Scaling group known for this alarm, so no change to correlate.',
    );
    return { enabled: false };
  }
  const until = Date.parse(incident.detectedAt);
  const looked = [
    hasDeploymentGroup ? `deployments of ${application}/${deploymentGroup}` : '',
    autoScalingGroupName ? `instance refreshes of ${autoScalingGroupName}` : '',
  ].filter(Boolean);
  explanation.push(
    `Change-aware: prefers a rollback if ${looked.join(' or ')} finished within ${prefer.withinMinutes} min before the alarm.`,
  );
  return {
    enabled: true,
    since: new Date(until - prefer.withinMinutes * 60_000).toISOString(),
    until: new Date(until).toISOString(),
    ...(hasDeploymentGroup ? { application, deploymentGroup } : {}),
    ...(autoScalingGroupName ? { autoScalingGroupName } : {}),
  };
}
