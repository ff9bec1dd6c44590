import type { AlarmInfo, Incident } from '../incident';
import type { Plan, SkipReason } from '../workflow';
import { type Action, ActionSchema, ActionTypeSchema, isMutating } from './actions';
import type { KeyMatcher, Match, Policy, Rule, StringMatcher } from './schema';
import { UnresolvedTemplateError, renderDeep } from './template';

export interface PlanOptions {
  stackDryRun: boolean;
  now: Date;
  /** What the stack provides to rules as {{platform.*}}, e.g. its own runbook's name. */
  platform?: Record<string, string>;
}

function matchesString(matcher: StringMatcher, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (typeof matcher === 'string') return matcher === value;
  if (Array.isArray(matcher)) return matcher.includes(value);
  if ('prefix' in matcher) return value.startsWith(matcher.prefix);
  return new RegExp(matcher.pattern).test(value);
}

function matchesKeys(spec: Record<string, KeyMatcher>, values: Record<string, string>): boolean {
  return Object.entries(spec).every(([key, matcher]) => {
    const value = values[key];
    if (typeof matcher === 'object' && !Array.isArray(matcher) && 'exists' in matcher) {
      return matcher.exists === (value !== undefined);
    }
    return matchesString(matcher, value);
  });
}

/** Every condition a rule states must hold; conditions on an alarm never match an event, and vice versa. */
export function ruleMatches(match: Match, incident: Incident): boolean {
  const alarm: AlarmInfo | undefined = incident.alarm;
  if (match.source !== undefined) {
    const sources = Array.isArray(match.source) ? match.source : [match.source];
    if (!sources.includes(incident.source)) return false;
  }
  const alarmConditions = [match.alarmName, match.namespace, match.metricName, match.dimensions, match.alarmTags];
  if (alarmConditions.some((c) => c !== undefined) && !alarm) return false;
  if (alarm) {
    if (match.alarmName && !matchesString(match.alarmName, alarm.name)) return false;
    if (match.namespace && !matchesString(match.namespace, alarm.namespace)) return false;
    if (match.metricName && !matchesString(match.metricName, alarm.metricName)) return false;
    if (match.dimensions && !matchesKeys(match.dimensions, alarm.dimensions)) return false;
    if (match.alarmTags && !matchesKeys(match.alarmTags, alarm.tags)) return false;
  }
  if (match.event) {
    const event = incident.event;
    if (!event) return false;
    if (match.event.source && !matchesString(match.event.source, event.source)) return false;
    if (match.event.detailType && !matchesString(match.event.detailType, event.detailType)) return false;
    if (match.event.state && !matchesString(match.event.state, event.state)) return false;
  }
  return true;
}

type TagOutcome = { ok: true; action: Action } | { ok: false; reason: SkipReason; why: string };

/** Builds an action from `selfhealing:*` alarm tags, within the rule's trust limits. */
export function actionFromAlarmTags(tags: Record<string, string>, trust: NonNullable<Rule['trustAlarmTags']>): TagOutcome {
  const type = ActionTypeSchema.safeParse(tags['selfhealing:action']);
  if (!type.success) {
    return { ok: false, reason: 'InvalidAlarmTags', why: `selfhealing:action "${tags['selfhealing:action']}" is not an action type` };
  }
  if (!trust.allowedActions.includes(type.data)) {
    return { ok: false, reason: 'AlarmTagActionNotAllowed', why: `selfhealing:action ${type.data} is not allowed by this rule` };
  }
  const target = tags['selfhealing:target'];
  const stepTag = tags['selfhealing:step'];
  const step = stepTag === undefined ? 1 : Number(stepTag);
  if (!Number.isInteger(step) || step < 1 || step > trust.maxStep) {
    return { ok: false, reason: 'InvalidAlarmTags', why: `selfhealing:step "${stepTag}" must be an integer from 1 to ${trust.maxStep}` };
  }
  let candidate: unknown;
  switch (type.data) {
    case 'scale-out':
      candidate = { type: 'scale-out', step, ...(target ? { autoScalingGroupName: target } : {}), ...(trust.maxCapacity !== undefined ? { maxCapacity: trust.maxCapacity } : {}) };
      break;
    case 'scale-in':
      candidate = { type: 'scale-in', step, ...(target ? { autoScalingGroupName: target } : {}) };
      break;
    case 'replace-instance':
      candidate = { type: 'replace-instance', ...(target ? { instanceId: target } : {}) };
      break;
    case 'rollback-deployment': {
      const [application, deploymentGroup] = target?.split('/') ?? [];
      if (target && (!application || !deploymentGroup)) {
        return { ok: false, reason: 'InvalidAlarmTags', why: 'selfhealing:target for rollback-deployment must be "application/deployment-group"' };
      }
      candidate = { type: 'rollback-deployment', ...(target ? { application, deploymentGroup } : {}) };
      break;
    }
    case 'run-automation': {
      const documentName = tags['selfhealing:document'];
      if (!documentName) {
        return { ok: false, reason: 'InvalidAlarmTags', why: 'run-automation needs the selfhealing:document tag' };
      }
      candidate = { type: 'run-automation', documentName, parameters: { InstanceId: [target ?? '{{target.instanceId}}'] } };
      break;
    }
    case 'notify':
      candidate = { type: 'notify', severity: 'warning' };
      break;
  }
  const parsed = ActionSchema.safeParse(candidate);
  return parsed.success
    ? { ok: true, action: parsed.data }
    : { ok: false, reason: 'InvalidAlarmTags', why: parsed.error.issues.map((i) => i.message).join('; ') };
}

const DEFAULT_PROGRESS = { intervalSeconds: 30, timeoutSeconds: 900 };
const DEFAULT_COOLDOWN_SECONDS = 300;
/** Must equal the TimeoutSeconds of "Request Approval" in remediation.asl.json (a test checks it). */
export const APPROVAL_TIMEOUT_SECONDS = 3600;
const DEFAULT_VERIFY = { intervalSeconds: 60, timeoutSeconds: 900, enabled: true };

function polls(loop: { intervalSeconds: number; timeoutSeconds: number }) {
  return { intervalSeconds: loop.intervalSeconds, maxPolls: Math.max(1, Math.ceil(loop.timeoutSeconds / loop.intervalSeconds)) };
}

/**
 * Decides what to do about one incident. Pure: the same incident, policy and options always
 * give the same plan, and the plan says why (`explanation`) in words an on-call engineer reads.
 */
export function planRemediation(incident: Incident, policy: Policy, options: PlanOptions): Plan {
  const explanation: string[] = [];
  const context = { ...incident, platform: options.platform ?? {} };
  const dryRunSources: Plan['dryRunSources'] = [];
  if (options.stackDryRun) dryRunSources.push('stack');
  if (incident.dryRun) dryRunSources.push('incident');

  const base = (rule: Rule | undefined) => {
    const ruleDryRun = rule?.dryRun ?? false;
    const sources: Plan['dryRunSources'] = ruleDryRun ? [...dryRunSources, 'rule'] : [...dryRunSources];
    return {
      dryRun: sources.length > 0,
      dryRunSources: sources,
      progress: polls(rule?.progress ?? DEFAULT_PROGRESS),
      verifyLoop: rule?.verify ?? DEFAULT_VERIFY,
      cooldownSeconds: rule?.cooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS,
      approval: { required: rule?.approval === 'required', timeoutSeconds: APPROVAL_TIMEOUT_SECONDS },
      plannedAt: options.now.toISOString(),
      explanation,
    };
  };
  const skip = (reason: SkipReason, notifyOnSkip: boolean, rule?: Rule): Plan => {
    const { verifyLoop, ...rest } = base(rule);
    return {
      decision: 'skip',
      reason,
      ...(rule ? { rule: rule.name } : {}),
      notifyOnSkip,
      ...rest,
      verify: { ...polls(verifyLoop), enabled: false },
    };
  };
  const act = (action: Action, actionSource: NonNullable<Plan['actionSource']>, rule?: Rule): Plan => {
    const { verifyLoop, ...rest } = base(rule);
    const verifyEnabled = verifyLoop.enabled && isMutating(action.type) && incident.alarm !== undefined;
    if (!verifyEnabled) {
      explanation.push(incident.alarm ? 'Recovery check off for this action.' : 'No alarm to watch: the action finishing is the recovery.');
    }
    if (rest.dryRun) explanation.push(`Dry run (${rest.dryRunSources.join(', ')}): no mutating call will be made.`);
    // A dry run asks nobody: it changes nothing.
    if (rest.approval.required && !rest.dryRun && isMutating(action.type)) explanation.push(`A human must approve within ${rest.approval.timeoutSeconds} s.`);
    else rest.approval = { ...rest.approval, required: false };
    return {
      decision: 'act',
      ...(rule ? { rule: rule.name } : {}),
      actionSource,
      action,
      notifyOnSkip: false,
      ...rest,
      verify: { ...polls(verifyLoop), enabled: verifyEnabled },
    };
  };

  if (incident.requestedAction) {
    explanation.push(`Manual execution requested ${incident.requestedAction.type}.`);
    try {
      const resolved = renderDeep(incident.requestedAction, context);
      explanation.push(`Action: ${describeAction(resolved)}.`);
      return act(resolved, 'manual');
    } catch (error) {
      if (!(error instanceof UnresolvedTemplateError)) throw error;
      explanation.push(`Cannot resolve the target: ${error.message}.`);
      return skip('TargetUnresolved', true);
    }
  }

  if (incident.alarm && incident.alarm.state !== 'ALARM') {
    explanation.push(`Alarm is ${incident.alarm.state}, not ALARM: nothing to remediate.`);
    return skip('NotInAlarm', false);
  }

  const rule = policy.rules.find((candidate) => candidate.enabled && ruleMatches(candidate.match, incident));
  if (!rule) {
    explanation.push(`No enabled rule of ${policy.rules.length} matched ${incident.summary}.`);
    return skip('NoMatchingRule', false);
  }
  explanation.push(`Rule ${rule.name} matched${rule.description ? `: ${rule.description}` : ''}.`);

  let action: Action = rule.action;
  let actionSource: NonNullable<Plan['actionSource']> = 'rule';
  const tags = incident.alarm?.tags ?? {};
  if (rule.trustAlarmTags && tags['selfhealing:action'] !== undefined) {
    const fromTags = actionFromAlarmTags(tags, rule.trustAlarmTags);
    if (!fromTags.ok) {
      explanation.push(`Alarm tags not usable: ${fromTags.why}.`);
      return skip(fromTags.reason, true, rule);
    }
    action = fromTags.action;
    actionSource = 'alarm-tags';
    explanation.push(`Action ${action.type} chosen by the alarm's selfhealing:action tag.`);
  }

  try {
    const resolved = renderDeep(action, context);
    explanation.push(`Action: ${describeAction(resolved)}.`);
    return act(resolved, actionSource, rule);
  } catch (error) {
    if (!(error instanceof UnresolvedTemplateError)) throw error;
    explanation.push(`Cannot resolve the target: ${error.message}.`);
    return skip('TargetUnresolved', true, rule);
  }
}

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
