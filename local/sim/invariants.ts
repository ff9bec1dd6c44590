// Safety invariants over what a simulated run did: the sandbox's call log (who called what, when,
// on what), the executions, the guard table at the end, and when the kill switch was on. Each
// returns violations that name the seed-independent facts, so a failing seed can be read.
import { readFileSync } from 'node:fs';
import type { CallRecord, ExecutionRecord } from '../sandbox/server';

export interface Violation {
  invariant: string;
  detail: string;
  /** A breach of a known shape that an open issue fixes: reported, not failing, until it lands. */
  knownAs?: string;
}

/** The known shapes (each names the issue that fixes it); none open today. */
export const KNOWN: Record<string, string> = {};

/** Record Outcome could not run, and the workflow handed the incident to a human itself (issue 17). */
const handedToHuman = (execution: ExecutionRecord | undefined): boolean =>
  (execution?.run?.events ?? []).some((e) => e.type === 'StateExited' && e.state?.name === 'Page Recording Failed');

interface OutcomeRecord {
  outcome?: string;
  metrics?: { name: string; value?: number }[];
  notification?: unknown;
  notificationUnconfirmed?: boolean;
}

/** What the execution's recording state wrote (the output of a FAILED execution's last Record state). */
function recordOf(execution: ExecutionRecord): OutcomeRecord | undefined {
  const fromOutput = (execution.run?.output as { record?: OutcomeRecord } | undefined)?.record;
  if (fromOutput) return fromOutput;
  const exited = (execution.run?.events ?? [])
    .filter((e) => e.type === 'StateExited' && OUTCOME_STATES.has(e.state?.name ?? ''))
    .pop();
  return (exited?.state as { output?: { record?: OutcomeRecord } } | undefined)?.output?.record;
}

/** The metric each recorded outcome counts. */
const OUTCOME_METRIC: Record<string, string[]> = {
  succeeded: ['RemediationSucceeded', 'RemediationDryRun'],
  failed: ['RemediationFailed'],
  'not-recovered': ['RemediationFailed'],
  skipped: ['RemediationSkipped'],
  notified: [],
  escalated: [],
  // A shadow record counts what the decision would have been.
  shadow: ['RemediationDryRun', 'RemediationSkipped', 'RemediationFailed'],
};

export interface RunFacts {
  calls: CallRecord[];
  executions: ExecutionRecord[];
  /** The guard table's items when the run ended. */
  guardItems: Record<string, unknown>[];
  /** When the kill switch was on (virtual ms, to: undefined = until the end). */
  killSwitchOn: { from: number; to?: number }[];
  /** How long the guard may act on a cached kill switch (documented cache time). */
  killSwitchCacheMs: number;
  /** The cooldown a target gets after a change, unless the execution's plan says otherwise. */
  defaultCooldownSeconds: number;
  /** Which deployment group a deployment id belongs to (StopDeployment names only the deployment). */
  deploymentGroupOf: (deploymentId: string) => string | undefined;
  /**
   * What the policy the run used declares about targets and approval (default: policies/default.json,
   * read when the invariants are checked): namespaces whose dimensions name a target besides AWS's
   * own, targets its rules list, and the capacity increase a human approves.
   */
  policy?: PolicyFacts;
}

/** Which alarm dimensions name an instance or an Auto Scaling group, for one namespace. */
export interface DimensionBinding {
  instance?: string[];
  autoScalingGroup?: string[];
}

export interface PolicyFacts {
  /** `safety.targetBindings`: namespaces besides AWS/EC2 and AWS/AutoScaling whose dimensions name targets. */
  targetBindings?: Record<string, DimensionBinding>;
  /** Every rule's `allowedTargets` (group names, instance ids, application/deployment-group). */
  allowedTargets?: string[];
  /** `approval.capacityIncreaseOverPercent`: a larger increase waits for a human. */
  capacityIncreaseOverPercent?: number;
}

/** AWS writes the metrics of its own namespaces: their identity dimensions are the resource watched. */
const AWS_BINDINGS: Record<string, DimensionBinding> = {
  'AWS/EC2': { instance: ['InstanceId'], autoScalingGroup: ['AutoScalingGroupName'] },
  'AWS/AutoScaling': { autoScalingGroup: ['AutoScalingGroupName'] },
};

/** The facts of policies/default.json the invariants need (the policy every simulated run uses). */
export function defaultPolicyFacts(): PolicyFacts {
  const document = JSON.parse(readFileSync(new URL('../../policies/default.json', import.meta.url), 'utf8')) as {
    approval?: { capacityIncreaseOverPercent?: number };
    safety?: { targetBindings?: Record<string, DimensionBinding> };
    rules?: { allowedTargets?: string[] }[];
  };
  return {
    targetBindings: document.safety?.targetBindings ?? {},
    allowedTargets: (document.rules ?? []).flatMap((rule) => rule.allowedTargets ?? []),
    ...(document.approval?.capacityIncreaseOverPercent !== undefined
      ? { capacityIncreaseOverPercent: document.approval.capacityIncreaseOverPercent }
      : {}),
  };
}

/** The states that record an incident's outcome (one per execution). */
const OUTCOME_STATES = new Set([
  'Record Success',
  'Record Skip',
  'Record Failure',
  'Record Not Recovered',
  'Notify Operator',
]);

/**
 * The execution a call was made for (local/workflow.ts names it from the Task's input): a hand
 * re-run of an incident is an execution of its own, as its lock is.
 */
const executionOf = (call: CallRecord) => call.actor.split('|')[0] ?? '';
/** A call made for an execution (a handler's turn), not by the harness or a person. */
const byExecution = (call: CallRecord) => call.actor.includes('|');

/** The instances a runbook names (its InstanceId parameter), each once. */
const automationInstances = (call: CallRecord): string[] => {
  const ids = ((call.params as Record<string, unknown>).Parameters as Record<string, unknown> | undefined)?.InstanceId;
  return [...new Set(Array.isArray(ids) ? ids.map(String) : [])];
};

/**
 * The physical things a mutating call changes, one per target: a runbook over N instances changes
 * N instances (whatever order it names them in).
 */
export function physicalTargets(call: CallRecord, facts: Pick<RunFacts, 'deploymentGroupOf'>): string[] {
  const p = call.params as Record<string, unknown>;
  switch (call.operation) {
    case 'AutoScaling.SetDesiredCapacity':
      return [`asg:${String(p.AutoScalingGroupName)}`];
    case 'AutoScaling.SetInstanceHealth':
      return [`instance:${String(p.InstanceId)}`];
    case 'CodeDeploy.CreateDeployment':
      return [`deployment-group:${String(p.applicationName)}/${String(p.deploymentGroupName)}`];
    case 'CodeDeploy.StopDeployment':
      return [`deployment-group:${facts.deploymentGroupOf(String(p.deploymentId)) ?? String(p.deploymentId)}`];
    case 'SSM.StartAutomationExecution': {
      const instances = automationInstances(call);
      return instances.length > 0
        ? instances.map((id) => `instance:${id}`).sort()
        : [`automation:${String(p.DocumentName)}`];
    }
    default:
      return [`${call.operation}:${JSON.stringify(p)}`];
  }
}

interface PlannedAction {
  type?: string;
  step?: number;
}

/**
 * The action an execution's plan held when it made this call: the input of the state that made
 * it, as it entered (a ladder's plan changes from step to step), or else the plan it ended with.
 */
function actionAt(execution: ExecutionRecord | undefined, call: CallRecord): PlannedAction | undefined {
  const state = call.actor.split('|')[1];
  const t = Date.parse(call.at);
  const entered = (execution?.run?.events ?? [])
    .filter((e) => e.type === 'StateEntered' && e.state?.name === state && e.timestamp <= t)
    .pop();
  const fromState = (entered?.state?.input as { plan?: { action?: PlannedAction } } | undefined)?.plan?.action;
  return fromState ?? (execution?.run?.output as { plan?: { action?: PlannedAction } } | undefined)?.plan?.action;
}

/**
 * When each execution was approved by a human: the on-call's SendTaskSuccess answering the
 * execution's task token with `approved: true` (the call log has it; tokens start with the
 * execution's name).
 */
function approvalsOf(calls: CallRecord[]): Map<string, number[]> {
  const approvals = new Map<string, number[]>();
  for (const call of calls) {
    if (call.operation !== 'StepFunctions.SendTaskSuccess' || call.outcome !== 'ok') continue;
    const p = call.params as { taskToken?: unknown; output?: unknown };
    const token = typeof p.taskToken === 'string' ? p.taskToken : '';
    let answer: unknown;
    try {
      answer = typeof p.output === 'string' ? JSON.parse(p.output) : p.output;
    } catch {
      continue;
    }
    if ((answer as { approved?: unknown } | null)?.approved !== true || !token.includes(':')) continue;
    const execution = token.slice(0, token.indexOf(':'));
    approvals.set(execution, [...(approvals.get(execution) ?? []), Date.parse(call.at)]);
  }
  return approvals;
}

/** A human approved this execution before (or at) this call. */
const approvedBefore = (checked: Checked, call: CallRecord) =>
  (checked.approvals.get(executionOf(call)) ?? []).some((t) => t <= Date.parse(call.at));

/** A manual execution's input is the operator's request: an action, no incident id. */
function manualRequestOf(execution: ExecutionRecord | undefined): { action?: Record<string, unknown> } | undefined {
  const input = execution?.input as { action?: unknown; id?: unknown } | undefined;
  return input && typeof input === 'object' && input.action && input.id === undefined
    ? (input as { action?: Record<string, unknown> })
    : undefined;
}

/**
 * Calls whose repetition is a second effect. The others are idempotent by construction: an absolute
 * capacity, a health status, an automation started with the incident's ClientToken (SSM returns the
 * same execution), a stop of a deployment that is stopped already.
 */
const NOT_IDEMPOTENT = new Set(['CodeDeploy.CreateDeployment']);

/** Calls that changed something (answered ok, or made and then answered 5xx). */
const changes = (calls: CallRecord[]) => calls.filter((c) => c.mutating && c.applied);

function cooldownOf(execution: ExecutionRecord | undefined, fallback: number): number {
  const plan = (execution?.run?.output as { plan?: { cooldownSeconds?: number } } | undefined)?.plan;
  return plan?.cooldownSeconds ?? fallback;
}

/** What every invariant reads: the run's facts, its executions by incident, and the changes that went through. */
interface Checked {
  facts: RunFacts;
  byName: Map<string, ExecutionRecord>;
  applied: CallRecord[];
  /** The changes each incident made. */
  byExecution: Map<string, CallRecord[]>;
  /** When each execution was approved by a human (virtual ms). */
  approvals: Map<string, number[]>;
  policy: PolicyFacts;
}

/** 1. Never two changes to one physical target inside the first one's cooldown (a repeat of the same idempotent call is one change); never a non-idempotent change twice. */
function oneChangePerTarget({ facts, byName, applied }: Checked, violations: Violation[]): void {
  for (const [i, first] of applied.entries()) {
    for (const second of applied.slice(i + 1)) {
      // Per physical target: a runbook over two instances and a replacement of one of them meet on it.
      const shared = physicalTargets(first, facts).filter((t) => physicalTargets(second, facts).includes(t));
      if (shared.length === 0) continue;
      const gapSeconds = (Date.parse(second.at) - Date.parse(first.at)) / 1000;
      const [a, b] = [executionOf(first), executionOf(second)];
      const sameCall =
        first.operation === second.operation && JSON.stringify(first.params) === JSON.stringify(second.params);
      if (
        !(sameCall && !NOT_IDEMPOTENT.has(first.operation)) &&
        gapSeconds < cooldownOf(byName.get(a), facts.defaultCooldownSeconds)
      ) {
        violations.push({
          invariant: 'one-change-per-target',
          detail: `${shared.join(', ')} changed by ${a} (${first.operation} at ${first.at}) and by ${b} ${gapSeconds} s later (${second.operation})`,
        });
      }
      if (a === b && NOT_IDEMPOTENT.has(first.operation) && sameCall) {
        violations.push({
          invariant: 'acts-once',
          detail: `${a} made ${first.operation} ${JSON.stringify(first.params)} twice (${first.at}, ${second.at})`,
        });
      }
    }
  }
}

/** 2. Never a change while the kill switch is on (after the documented cache time). */
function killSwitchRespected({ facts, applied }: Checked, violations: Violation[]): void {
  for (const call of applied) {
    const t = Date.parse(call.at);
    const window = facts.killSwitchOn.find(
      (w) => t >= w.from + facts.killSwitchCacheMs && (w.to === undefined || t < w.to),
    );
    if (!window) continue;
    // Read right before the call, then flipped in that same instant: the window every read-then-act
    // has (docs/safety.md), not a change made while the switch was seen on.
    const lastRead = facts.calls
      .slice(0, facts.calls.indexOf(call))
      .filter((c) => executionOf(c) === executionOf(call) && c.operation === 'SSM.GetParameter')
      .pop();
    if (lastRead && Date.parse(lastRead.at) === t && window.from === t) continue;
    // When this incident's guard last read the switch, before this change.
    const guardAt = facts.calls
      .filter(
        (c) =>
          c.actor === `${executionOf(call)}|Check Guardrails` &&
          c.operation === 'SSM.GetParameter' &&
          Date.parse(c.at) <= t,
      )
      .map((c) => Date.parse(c.at))
      .pop();
    violations.push({
      invariant: 'kill-switch',
      detail: `${executionOf(call)} made ${call.operation} at ${call.at}, the kill switch on since ${new Date(window.from).toISOString()}${guardAt !== undefined ? ` (its guard read it at ${new Date(guardAt).toISOString()})` : ''}`,
    });
  }
}

/**
 * 3. Capacity: within the group's bounds; a scale-out never lowers it, a scale-in never raises it,
 * and neither moves it by more than its step from what is live at the call (a change the requester
 * or approver did not see: the group moved meanwhile).
 */
function capacityWithinBounds({ byName, applied }: Checked, violations: Violation[]): void {
  for (const call of applied.filter((c) => c.operation === 'AutoScaling.SetDesiredCapacity')) {
    const desired = Number((call.params as Record<string, unknown>).DesiredCapacity);
    const { desired: was, minSize, maxSize } = call.before ?? {};
    if (was === undefined || minSize === undefined || maxSize === undefined) continue;
    const group = String((call.params as Record<string, unknown>).AutoScalingGroupName);
    if (desired < minSize || desired > maxSize)
      violations.push({
        invariant: 'capacity-bounds',
        detail: `${executionOf(call)} set ${group} to ${desired}, outside ${minSize}..${maxSize}`,
      });
    const action = actionAt(byName.get(executionOf(call)), call);
    if (action?.type === 'scale-out' && desired < was)
      violations.push({
        invariant: 'scale-out-lowers',
        detail: `${executionOf(call)} scaled ${group} out from ${was} to ${desired} (${call.at})`,
      });
    else if (action?.type === 'scale-in' && desired > was)
      violations.push({
        invariant: 'scale-in-raises',
        detail: `${executionOf(call)} scaled ${group} in from ${was} to ${desired} (${call.at})`,
      });
    else if (
      (action?.type === 'scale-out' || action?.type === 'scale-in') &&
      typeof action.step === 'number' &&
      Math.abs(desired - was) > action.step &&
      // Brought up to MinSize (or down to MaxSize) from outside the bounds: the bounds decide, not the step.
      !(desired === minSize && was < minSize) &&
      !(desired === maxSize && was > maxSize)
    )
      violations.push({
        invariant: 'capacity-step',
        detail: `${executionOf(call)} moved ${group} from ${was} to ${desired} (${call.at}), more than its ${action.type} step of ${action.step}${movedMeanwhile(call)}`,
      });
  }
}

/** How the group's desired capacity moved in the ten minutes before the call (the change nobody approved). */
function movedMeanwhile(call: CallRecord): string {
  const t = Date.parse(call.at);
  const moves = (call.before?.desiredHistory ?? []).filter((h) => h.at < t && h.at >= t - 10 * 60_000);
  return moves.length > 0
    ? `; the group moved to ${moves.map((h) => `${h.desired} at ${new Date(h.at).toISOString()}`).join(', ')}`
    : '';
}

/** 4. Every incident ends, with exactly one recorded outcome. */
function oneOutcomeEach({ facts }: Checked, violations: Violation[]): void {
  for (const execution of facts.executions) {
    if (execution.status === 'RUNNING') {
      violations.push({ invariant: 'one-outcome', detail: `${execution.name} never ended` });
      continue;
    }
    const recorded = (execution.run?.states ?? []).filter((s) => OUTCOME_STATES.has(s));
    const failedRecording = (execution.run?.states ?? []).includes('Recording Failed');
    if (recorded.length !== 1 || (failedRecording && !handedToHuman(execution))) {
      violations.push({
        invariant: 'one-outcome',
        detail: `${execution.name} recorded ${recorded.length} outcomes (${recorded.join(', ') || 'none'})${failedRecording ? ', and its recording failed without paging' : ''}`,
      });
    }
  }
}

/** 5. No lock left held by an execution that has ended. */
function locksReleased({ facts, byName }: Checked, violations: Violation[]): void {
  for (const item of facts.guardItems) {
    const holder = typeof item.lockedBy === 'string' ? item.lockedBy : undefined;
    if (item.lockState !== 'in-progress' || !holder) continue;
    const execution = byName.get(holder) ?? facts.executions.find((e) => holder.startsWith(e.name));
    // A target held for review (its execution could not record its outcome) stays locked on purpose.
    if (execution && execution.status !== 'RUNNING' && item.heldForReview === undefined) {
      violations.push({
        invariant: 'lock-released',
        detail: `${String(item.target)} still locked by ${holder}, which ended ${execution.status}`,
      });
    }
  }
}

/** 6. Every change that went through is counted: its incident's release puts the target in cooldown. */
function changesCounted({ facts, byExecution }: Checked, violations: Violation[]): void {
  for (const [execution, calls] of byExecution) {
    for (const target of new Set(calls.flatMap((c) => physicalTargets(c, facts)))) {
      const last = Math.max(
        ...calls.filter((c) => physicalTargets(c, facts).includes(target)).map((c) => Date.parse(c.at)),
      );
      const cooled = facts.calls.some(
        (c) =>
          c.operation === 'DynamoDB.UpdateItem' &&
          c.outcome === 'ok' &&
          executionOf(c) === execution &&
          Date.parse(c.at) >= last &&
          (c.params as { Key?: { target?: { S?: string } } }).Key?.target?.S === target &&
          String((c.params as { UpdateExpression?: string }).UpdateExpression).startsWith('SET lockState = :cooldown'),
      );
      if (cooled) continue;
      violations.push({
        invariant: 'counted',
        detail: `${execution} changed ${target} (last at ${new Date(last).toISOString()}) but never put it in cooldown`,
      });
    }
  }
}

/** 6b. ...and a change followed by a failure is counted by the circuit breaker. */
function failuresCounted({ facts, byName, byExecution }: Checked, violations: Violation[]): void {
  for (const [execution, calls] of byExecution) {
    const record = byName.get(execution) ? recordOf(byName.get(execution) as ExecutionRecord) : undefined;
    if (record?.outcome !== 'failed' && record?.outcome !== 'not-recovered') continue;
    for (const target of new Set(calls.flatMap((c) => physicalTargets(c, facts)))) {
      const counted = facts.calls.some(
        (c) =>
          c.operation === 'DynamoDB.UpdateItem' &&
          c.outcome === 'ok' &&
          executionOf(c) === execution &&
          (c.params as { Key?: { target?: { S?: string } } }).Key?.target?.S === target &&
          String((c.params as { UpdateExpression?: string }).UpdateExpression).includes('failures = list_append'),
      );
      if (counted) continue;
      violations.push({
        invariant: 'breaker-counted',
        detail: `${execution} changed ${target} and ended ${record.outcome}, but no failure was counted for the circuit breaker`,
      });
    }
  }
}

/** 8. Metrics agree with the call log and the outcome: one outcome metric per record, matching it; RemediationStarted exactly when the execution changed something. */
function metricsAgree({ facts, byExecution }: Checked, violations: Violation[]): void {
  for (const execution of facts.executions) {
    const record = recordOf(execution);
    if (!record?.outcome) continue;
    const names = (record.metrics ?? []).map((m) => m.name);
    const outcomeMetrics = names.filter((n) => Object.values(OUTCOME_METRIC).flat().includes(n));
    const expectedMetrics = OUTCOME_METRIC[record.outcome] ?? [];
    if (
      outcomeMetrics.length !== (expectedMetrics.length ? 1 : 0) ||
      !outcomeMetrics.every((n) => expectedMetrics.includes(n))
    ) {
      violations.push({
        invariant: 'metrics',
        detail: `${execution.name} recorded ${record.outcome} with outcome metrics [${outcomeMetrics.join(', ')}]`,
      });
    }
    // A mutating call whose answer was a 5xx or a timeout may have changed something: the platform
    // cannot tell, and counting it started is the safe reading.
    const unknown = facts.calls.some(
      (c) => c.mutating && executionOf(c) === execution.name && (c.status >= 500 || c.outcome === 'timeout'),
    );
    const changed = (byExecution.get(execution.name) ?? []).length > 0;
    const started = names.includes('RemediationStarted');
    if (started && !changed && !unknown && !names.includes('RemediationDryRun'))
      violations.push({
        invariant: 'metrics',
        detail: `${execution.name} counted RemediationStarted but the call log shows no change`,
      });
    // A hand re-run of the incident that was held back did not change anything itself.
    if (changed && !started && record.outcome !== 'skipped' && record.outcome !== 'notified') {
      violations.push({
        invariant: 'metrics',
        detail: `${execution.name} changed ${[...new Set((byExecution.get(execution.name) ?? []).map((c) => c.operation))].join(', ')} but did not count RemediationStarted`,
      });
    }
  }
}

/** 7. Notifications agree with the records: per incident and recording state, one publish per record that says it notified. */
function notificationsAgree({ facts }: Checked, violations: Violation[]): void {
  const expected = new Map<string, { count: number; unconfirmed: boolean }>();
  for (const execution of facts.executions.filter((e) => e.status === 'SUCCEEDED')) {
    const output = execution.run?.output as
      { record?: { notification?: unknown; notificationUnconfirmed?: unknown } } | undefined;
    const last = [...(execution.run?.states ?? [])].reverse().find((s) => OUTCOME_STATES.has(s));
    if (!last) continue;
    const key = `${execution.name}|${last}`;
    const seen = expected.get(key) ?? { count: 0, unconfirmed: false };
    expected.set(key, {
      count: seen.count + (output?.record?.notification ? 1 : 0),
      unconfirmed: seen.unconfirmed || output?.record?.notificationUnconfirmed === true,
    });
  }
  for (const [actor, { count, unconfirmed }] of expected) {
    // A Publish SNS took (answered ok, or made before its reply was lost).
    const published = facts.calls.filter(
      (c) => c.operation === 'SNS.Publish' && (c.outcome === 'ok' || c.applied) && c.actor === actor,
    ).length;
    // An unconfirmed notification (SNS gave no verdict) may or may not have gone out: never twice.
    if (published === count || (unconfirmed && published < count)) continue;
    violations.push({
      invariant: 'notifications',
      detail: `${actor.replace('|', ': ')} published ${published} notifications, its records say ${count}${unconfirmed ? ' (unconfirmed)' : ''}`,
    });
  }
}

/** 9. A rollback or stop acts only on the deployment group's newest deployment: never over a newer one someone made meanwhile. */
function rollbackOverNewer({ applied }: Checked, violations: Violation[]): void {
  for (const call of applied.filter(byExecution)) {
    const p = call.params as { description?: unknown; deploymentId?: unknown };
    const description = typeof p.description === 'string' ? p.description : '';
    const replaced =
      call.operation === 'CodeDeploy.StopDeployment'
        ? String(p.deploymentId)
        : call.operation === 'CodeDeploy.CreateDeployment' && /^SelfHealing rollback/.test(description)
          ? /replaces (\S+)$/.exec(description)?.[1]
          : undefined;
    const newest = call.before?.newestDeployment;
    if (!replaced || !newest || newest.id === replaced) continue;
    violations.push({
      invariant: 'rollback-over-newer',
      detail: `${executionOf(call)} ${call.operation === 'CodeDeploy.StopDeployment' ? 'stopped' : 'rolled back'} ${replaced} at ${call.at}, but ${newest.id} (${newest.status}, by ${newest.creator}${newest.description ? `: ${newest.description.slice(0, 80)}` : ''}) was the group's newest deployment`,
    });
  }
}

/** The share of a group's healthy InService instances that may be replaced, restarted or drained at once. */
const BLAST_RADIUS = { instances: 1, percent: 25 };

/** When an execution recorded its outcome (entered a recording state) at or after `t`, or ended; Infinity if never. */
function outcomeAfter(execution: ExecutionRecord | undefined, t: number): number {
  const recorded = (execution?.run?.events ?? []).find(
    (e) => e.type === 'StateEntered' && OUTCOME_STATES.has(e.state?.name ?? '') && e.timestamp >= t,
  );
  return recorded?.timestamp ?? execution?.stoppedAt ?? Number.POSITIVE_INFINITY;
}

/**
 * 10. Blast radius: per Auto Scaling group, never more than max(1, 25 % of its healthy InService
 * instances at the call) replaced, restarted or drained at once, across executions. A change is in
 * flight from its call until its execution records its outcome. A change a human approved may exceed it.
 */
function blastRadius(checked: Checked, violations: Violation[]): void {
  const { applied, byName } = checked;
  // Each disruptive change: its group, the units it takes out (instances, or instances drained), and while it is in flight.
  const disruptions: { call: CallRecord; group: string; units: string[]; from: number; to: number }[] = [];
  for (const call of applied.filter(byExecution)) {
    const t = Date.parse(call.at);
    const to = outcomeAfter(byName.get(executionOf(call)), t);
    const execution = executionOf(call);
    const p = call.params as Record<string, unknown>;
    const instanceGroups = call.before?.instanceGroups ?? {};
    const instances =
      call.operation === 'AutoScaling.SetInstanceHealth' && p.HealthStatus === 'Unhealthy'
        ? [String(p.InstanceId)]
        : call.operation === 'SSM.StartAutomationExecution'
          ? automationInstances(call)
          : [];
    for (const id of instances) {
      const group = instanceGroups[id];
      if (group) disruptions.push({ call, group, units: [`${execution}|${id}`], from: t, to });
    }
    const { desired: was } = call.before ?? {};
    const desired = Number(p.DesiredCapacity);
    if (call.operation === 'AutoScaling.SetDesiredCapacity' && was !== undefined && desired < was)
      disruptions.push({
        call,
        group: String(p.AutoScalingGroupName),
        units: Array.from({ length: was - desired }, (_, i) => `${execution}|${call.seq}|drained-${i}`),
        from: t,
        to,
      });
  }
  // Per group, the worst moment a change went beyond the limit (one violation per group: a whole
  // group replaced at once is one breach, not one per instance).
  const worst = new Map<
    string,
    { units: number; limit: number; healthy: number; at: string; by: string[]; over: number }
  >();
  for (const d of disruptions) {
    const healthy = d.call.before?.healthyInService?.[d.group];
    // Without the group's health at the call there is no limit to hold it to.
    if (healthy === undefined || approvedBefore(checked, d.call)) continue;
    const inFlight = disruptions.filter((o) => o.group === d.group && o.from <= d.from && o.to > d.from);
    const units = new Set(inFlight.flatMap((o) => o.units)).size;
    const limit = Math.max(BLAST_RADIUS.instances, Math.floor((healthy * BLAST_RADIUS.percent) / 100));
    if (units <= limit) continue;
    const seen = worst.get(d.group);
    const over = (seen?.over ?? 0) + 1;
    if (seen && seen.units - seen.limit >= units - limit) {
      seen.over = over;
      continue;
    }
    const by = [...new Set(inFlight.map((o) => executionOf(o.call)))];
    worst.set(d.group, { units, limit, healthy, at: d.call.at, by, over });
  }
  for (const [group, w] of worst)
    violations.push({
      invariant: 'blast-radius',
      detail: `${group}: ${w.units} instances replaced, restarted or drained at once at ${w.at} (by ${w.by.slice(0, 3).join(', ')}${w.by.length > 3 ? ` and ${w.by.length - 3} more` : ''}), more than max(${BLAST_RADIUS.instances}, ${BLAST_RADIUS.percent} % of ${w.healthy} healthy InService) = ${w.limit}, without approval (${w.over} change${w.over > 1 ? 's' : ''} over the limit)`,
    });
}

/** Step Functions refuses a state larger than 256 KB (States.DataLimitExceeded, which no Catch catches): stay far below. */
export const STATE_SIZE_LIMIT = 64 * 1024;

/** The largest state input or output of an execution (its events), in bytes, and where. */
export function largestState(execution: ExecutionRecord): { bytes: number; where: string } {
  let largest = { bytes: 0, where: 'none' };
  const measure = (value: unknown, where: string) => {
    if (value === undefined) return;
    const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
    if (bytes > largest.bytes) largest = { bytes, where };
  };
  measure(execution.input, 'execution input');
  measure(execution.run?.output, 'execution output');
  for (const e of execution.run?.events ?? []) {
    measure(e.state?.input, `${e.state?.name ?? '?'} input`);
    measure(e.state?.output, `${e.state?.name ?? '?'} output`);
    measure(e.input, `${e.type} input`);
    measure(e.output, `${e.type} output`);
  }
  return largest;
}

/** 11. No execution's state (any state's input or output) larger than 64 KiB. */
function stateSize({ facts }: Checked, violations: Violation[]): void {
  for (const execution of facts.executions) {
    const { bytes, where } = largestState(execution);
    if (bytes > STATE_SIZE_LIMIT)
      violations.push({
        invariant: 'state-size',
        detail: `${execution.name}: ${where} is ${bytes} bytes (limit ${STATE_SIZE_LIMIT}; Step Functions fails at 262144)`,
      });
  }
}

/**
 * 12. One notification per outcome, under every fault, for executions that did not succeed too: the
 * recording states publish what the record says (at most once when no record was written).
 */
function oneNotification({ facts }: Checked, violations: Violation[]): void {
  for (const execution of facts.executions.filter((e) => e.status !== 'SUCCEEDED' && e.status !== 'RUNNING')) {
    const published = facts.calls.filter(
      (c) =>
        c.operation === 'SNS.Publish' &&
        (c.outcome === 'ok' || c.applied) &&
        executionOf(c) === execution.name &&
        OUTCOME_STATES.has(c.actor.split('|')[1] ?? ''),
    ).length;
    const record = recordOf(execution);
    const expected = record ? (record.notification ? 1 : 0) : undefined;
    // Unconfirmed (no verdict from SNS, or a refusal whose marker could not be reset): at most one,
    // and NotificationUnconfirmedAlarm pages instead (invariant 7 reads it the same way).
    const unconfirmed = record?.notificationUnconfirmed === true;
    if (expected === undefined ? published <= 1 : published === expected || (unconfirmed && published < expected))
      continue;
    violations.push({
      invariant: 'one-notification',
      detail: `${execution.name} (${execution.status}) published ${published} outcome notifications, ${expected === undefined ? 'with no record written (at most 1)' : `its record says ${expected}${unconfirmed ? ' (unconfirmed)' : ''}`}`,
    });
  }
}

/**
 * 13. Not in alarm, no change: no mutating call but a capacity increase while the incident's alarm is
 * not in ALARM (OK, INSUFFICIENT_DATA). A call in the instant the alarm changed is the read-then-act window.
 */
function actsOnlyInAlarm({ applied }: Checked, violations: Violation[]): void {
  for (const call of applied.filter(byExecution)) {
    const alarm = call.before?.alarm;
    if (!alarm || alarm.state === 'ALARM' || alarm.updatedAt === Date.parse(call.at)) continue;
    const raise =
      call.operation === 'AutoScaling.SetDesiredCapacity' &&
      call.before?.desired !== undefined &&
      Number((call.params as Record<string, unknown>).DesiredCapacity) > call.before.desired;
    if (raise) continue;
    violations.push({
      invariant: 'not-in-alarm',
      detail: `${executionOf(call)} made ${call.operation} at ${call.at} while ${alarm.name.slice(0, 80)} was ${alarm.state} (since ${new Date(alarm.updatedAt).toISOString()})`,
    });
  }
}

/** The targets a policy lists by name, as keys of every kind. */
const namedTargets = (names: string[]) =>
  names.flatMap((name) => [`asg:${name}`, `instance:${name}`, `deployment-group:${name}`]);

/** The targets an execution is about by identity: its alarm's dimensions in a bound namespace and its tagged deployment group, its event's resources, or the operator's request. */
function identityOf(
  execution: ExecutionRecord | undefined,
  call: CallRecord,
  policy: PolicyFacts,
): Set<string> | undefined {
  const keys = new Set(namedTargets(policy.allowedTargets ?? []));
  const manual = manualRequestOf(execution);
  if (manual?.action) {
    const action = manual.action;
    if (typeof action.autoScalingGroupName === 'string') keys.add(`asg:${action.autoScalingGroupName}`);
    if (typeof action.instanceId === 'string') keys.add(`instance:${action.instanceId}`);
    if (typeof action.application === 'string' && typeof action.deploymentGroup === 'string')
      keys.add(`deployment-group:${action.application}/${action.deploymentGroup}`);
    const ids = (action.parameters as Record<string, unknown> | undefined)?.InstanceId;
    for (const id of Array.isArray(ids) ? ids : []) keys.add(`instance:${String(id)}`);
    return keys;
  }
  const input = execution?.input as
    | {
        alarm?: {
          namespace?: string;
          dimensions?: Record<string, string>;
          tags?: Record<string, string>;
          metrics?: { namespace?: string; dimensions?: Record<string, string> }[];
        };
        event?: { resources?: string[] };
      }
    | undefined;
  const alarm = call.before?.alarm ?? input?.alarm;
  // Nothing says what the incident is about (no alarm, no event, no request): nothing to judge by.
  if (!alarm && !input?.event) return undefined;
  if (alarm) {
    const bindings = { ...(policy.targetBindings ?? {}), ...AWS_BINDINGS };
    const metrics = input?.alarm?.metrics ?? [{ namespace: alarm.namespace, dimensions: alarm.dimensions }];
    for (const metric of metrics) {
      const binding = metric.namespace !== undefined ? bindings[metric.namespace] : undefined;
      for (const d of binding?.instance ?? []) if (metric.dimensions?.[d]) keys.add(`instance:${metric.dimensions[d]}`);
      for (const d of binding?.autoScalingGroup ?? [])
        if (metric.dimensions?.[d]) keys.add(`asg:${metric.dimensions[d]}`);
    }
    const application = alarm.tags?.['selfhealing:codedeploy-application'];
    const deploymentGroup = alarm.tags?.['selfhealing:codedeploy-deployment-group'];
    if (application && deploymentGroup) keys.add(`deployment-group:${application}/${deploymentGroup}`);
  }
  for (const arn of input?.event?.resources ?? []) {
    const instance = /:instance\/(i-[0-9a-z]+)$/.exec(arn)?.[1];
    const group = /autoScalingGroupName\/(.+)$/.exec(arn)?.[1];
    const deploymentGroup = /:deploymentgroup:(.+\/.+)$/.exec(arn)?.[1];
    if (instance) keys.add(`instance:${instance}`);
    if (group) keys.add(`asg:${group}`);
    if (deploymentGroup) keys.add(`deployment-group:${deploymentGroup}`);
  }
  return keys;
}

/**
 * 14. Bound targets: a change only to what its incident names by identity (an AWS namespace's
 * identity dimensions, a namespace the policy binds, its alarm's deployment-group tags, its
 * event's resources, the rule's allowed targets) or, by hand, to what the operator asked for.
 */
function boundTargets(checked: Checked, violations: Violation[]): void {
  const { applied, byName, facts, policy } = checked;
  for (const call of applied.filter(byExecution)) {
    const execution = byName.get(executionOf(call));
    const bound = identityOf(execution, call, policy);
    if (!bound) continue;
    const unbound = physicalTargets(call, facts).filter((t) => !t.startsWith('automation:') && !bound.has(t));
    if (unbound.length === 0) continue;
    const alarm = call.before?.alarm;
    violations.push({
      invariant: 'bound-targets',
      detail: `${executionOf(call)} made ${call.operation} on ${unbound.join(', ')} at ${call.at}, which its ${manualRequestOf(execution) ? 'request' : alarm ? `alarm (${alarm.namespace} ${JSON.stringify(alarm.dimensions)})` : 'event'} does not name by identity${bound.size ? ` (it names ${[...bound].slice(0, 4).join(', ')})` : ''}`,
    });
  }
}

/** The instances a guard item's key covers (`instance:<id>`, `automation:<document>:<id>,<id>`). */
function instancesOfLock(target: string): string[] {
  if (target.startsWith('instance:')) return [target.slice('instance:'.length)];
  const automation = /^automation:[^:]+:(.+)$/.exec(target)?.[1];
  return automation && automation !== 'any' ? automation.split(',') : [];
}

type AttributeValue = { S?: string; N?: string };

/**
 * What a successful write to the guard table did to an item's lock: took it (lockState set to
 * in-progress, by whom), let it go (lockState set to anything else, removed, or the item deleted),
 * or left it alone.
 */
function lockWrite(call: CallRecord): { key: string; took?: string; released?: boolean } | undefined {
  const p = call.params as {
    Key?: { target?: AttributeValue };
    Item?: { target?: AttributeValue; lockState?: AttributeValue; lockedBy?: AttributeValue };
    UpdateExpression?: string;
    ExpressionAttributeValues?: Record<string, AttributeValue>;
  };
  const key = p.Key?.target?.S ?? p.Item?.target?.S;
  if (call.outcome !== 'ok' || key === undefined) return undefined;
  if (call.operation === 'DynamoDB.DeleteItem') return { key, released: true };
  if (call.operation === 'DynamoDB.PutItem')
    return p.Item?.lockState?.S === 'in-progress'
      ? { key, took: p.Item.lockedBy?.S ?? executionOf(call) }
      : { key, released: true };
  if (call.operation !== 'DynamoDB.UpdateItem') return undefined;
  const expression = p.UpdateExpression ?? '';
  const values = p.ExpressionAttributeValues ?? {};
  const state = /\blockState\s*=\s*(:\w+)/.exec(expression)?.[1];
  if (state !== undefined) {
    if (values[state]?.S !== 'in-progress') return { key, released: true };
    const by = /\blockedBy\s*=\s*(:\w+)/.exec(expression)?.[1];
    return { key, took: (by ? values[by]?.S : undefined) ?? executionOf(call) };
  }
  return /\bREMOVE\b[^]*\blockState\b/.test(expression) ? { key, released: true } : undefined;
}

/**
 * 15. One lock per physical target: never two in-progress guard items covering one instance (a
 * runbook's lock under `a,b` and another's under `b,a`), from the guard table's writes as they
 * happened and from the table at the end.
 */
function oneLockPerTarget({ facts }: Checked, violations: Violation[]): void {
  const reported = new Set<string>();
  const report = (instance: string, keys: string[], when: string) => {
    // One breach per set of keys, however many instances they share.
    const id = [...keys].sort().join('|');
    if (reported.has(id)) return;
    reported.add(id);
    violations.push({
      invariant: 'one-lock-per-target',
      detail: `${instance} locked in progress under ${keys.length} keys ${when}: ${keys.join(', ')}`,
    });
  };
  const held = new Map<string, string>();
  for (const call of facts.calls) {
    const write = lockWrite(call);
    if (!write) continue;
    if (write.released) {
      held.delete(write.key);
      continue;
    }
    if (write.took === undefined) continue;
    held.set(write.key, write.took);
    for (const instance of instancesOfLock(write.key)) {
      const others = [...held.keys()].filter((k) => k !== write.key && instancesOfLock(k).includes(instance));
      if (others.length > 0)
        report(
          instance,
          [write.key, ...others],
          `at ${call.at} (by ${[write.took, ...others.map((k) => held.get(k))].join(', ')})`,
        );
    }
  }
  const atEnd = new Map<string, string[]>();
  for (const item of facts.guardItems) {
    if (item.lockState !== 'in-progress' || typeof item.target !== 'string') continue;
    for (const instance of instancesOfLock(item.target))
      atEnd.set(instance, [...(atEnd.get(instance) ?? []), item.target]);
  }
  for (const [instance, keys] of atEnd) if (new Set(keys).size > 1) report(instance, keys, 'when the run ended');
}

/**
 * 16. Manual executions ask a human like automatic ones: every change by hand but a capacity increase
 * within the approval threshold waits for an approval (only an explicit dry run changes nothing).
 */
function manualApproval(checked: Checked, violations: Violation[]): void {
  const { applied, byName, policy } = checked;
  const threshold = policy.capacityIncreaseOverPercent ?? 50;
  for (const call of applied.filter(byExecution)) {
    const execution = byName.get(executionOf(call));
    // By hand: a manual request, or an incident started again under a name ingest did not give it.
    const input = execution?.input as { id?: unknown } | undefined;
    const rerun = typeof input?.id === 'string' && input.id !== execution?.name;
    if ((!manualRequestOf(execution) && !rerun) || approvedBefore(checked, call)) continue;
    const was = call.before?.desired;
    const desired = Number((call.params as Record<string, unknown>).DesiredCapacity);
    const smallIncrease =
      call.operation === 'AutoScaling.SetDesiredCapacity' &&
      was !== undefined &&
      desired > was &&
      was > 0 &&
      ((desired - was) / was) * 100 <= threshold;
    if (smallIncrease) continue;
    violations.push({
      invariant: 'manual-approval',
      detail: `${executionOf(call)} (by hand) made ${call.operation} ${JSON.stringify(call.params).slice(0, 160)} at ${call.at} without an approval`,
    });
  }
}

/**
 * Characters that start a new line or reorder, hide or join text where a reader sees it: line and
 * paragraph separators, NEL, bidi embeddings, overrides and isolates, zero-width and other format
 * characters.
 */
const UNSAFE_TEXT = /[\u0085\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f\u061c\ufeff]/u;

/** 17. What people read (notifications, approval requests) carries no raw line separator, bidi or format character. */
function cleanText({ facts }: Checked, violations: Violation[]): void {
  const seen = new Set<string>();
  for (const call of facts.calls.filter((c) => c.operation === 'SNS.Publish' && byExecution(c))) {
    const p = call.params as { Subject?: unknown; Message?: unknown };
    for (const [field, text] of [
      ['Subject', p.Subject],
      ['Message', p.Message],
    ] as const) {
      if (typeof text !== 'string') continue;
      const found = UNSAFE_TEXT.exec(text)?.[0];
      const key = `${call.actor}|${field}`;
      if (found === undefined || seen.has(key)) continue;
      seen.add(key);
      violations.push({
        invariant: 'clean-text',
        detail: `${call.actor.replace('|', ': ')} published a ${field} holding U+${(found.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')} unescaped (${call.at})`,
      });
    }
  }
}

/**
 * 19. What an event said is still true when it is acted on: no replacement or runbook on an
 * instance a "stopped" event named that runs again (a person started it), unless this execution's
 * own earlier change started it.
 */
function eventStillTrue({ applied, byName }: Checked, violations: Violation[]): void {
  const touched = new Set<string>();
  for (const call of applied.filter(byExecution)) {
    const execution = executionOf(call);
    const input = byName.get(execution)?.input as
      { source?: unknown; event?: { state?: unknown }; target?: { instanceId?: unknown } } | undefined;
    const id = input?.target?.instanceId;
    const state = typeof id === 'string' ? call.before?.instanceStates?.[id] : undefined;
    const mine = touched.has(`${execution}|${String(id)}`);
    if (typeof id === 'string' && call.before?.instanceStates?.[id]) touched.add(`${execution}|${id}`);
    if (input?.source !== 'ec2' || !['stopped', 'stopping'].includes(String(input.event?.state))) continue;
    if (state !== 'running' || mine) continue;
    violations.push({
      invariant: 'event-still-true',
      detail: `${execution} made ${call.operation} on ${String(id)} at ${call.at}: its "${String(input.event?.state)}" event is no longer true (it runs)`,
    });
  }
}

/** How far ahead of the clock an incident may say it was detected (clock skew). */
const FUTURE_SKEW_MS = 15 * 60_000;

/** 18. No change for an incident that says it was detected in the future (an event dated 2099 turns off the age check). */
function noFutureIncidents({ applied, byName }: Checked, violations: Violation[]): void {
  const reported = new Set<string>();
  for (const call of applied.filter(byExecution)) {
    const execution = executionOf(call);
    const detectedAt = (byName.get(execution)?.input as { detectedAt?: unknown } | undefined)?.detectedAt;
    const detected = typeof detectedAt === 'string' ? Date.parse(detectedAt) : Number.NaN;
    if (!(detected > Date.parse(call.at) + FUTURE_SKEW_MS) || reported.has(execution)) continue;
    reported.add(execution);
    violations.push({
      invariant: 'future-incident',
      detail: `${execution} made ${call.operation} at ${call.at} for an incident detected at ${String(detectedAt)}`,
    });
  }
}

export function checkInvariants(facts: RunFacts): Violation[] {
  const applied = changes(facts.calls);
  const byExecution = new Map<string, CallRecord[]>();
  for (const c of applied) byExecution.set(executionOf(c), [...(byExecution.get(executionOf(c)) ?? []), c]);
  const checked: Checked = {
    facts,
    byName: new Map(facts.executions.map((e) => [e.name, e])),
    applied,
    byExecution,
    approvals: approvalsOf(facts.calls),
    policy: facts.policy ?? defaultPolicyFacts(),
  };
  const violations: Violation[] = [];
  for (const invariant of [
    oneChangePerTarget,
    killSwitchRespected,
    capacityWithinBounds,
    oneOutcomeEach,
    locksReleased,
    changesCounted,
    failuresCounted,
    metricsAgree,
    notificationsAgree,
    rollbackOverNewer,
    blastRadius,
    stateSize,
    oneNotification,
    actsOnlyInAlarm,
    boundTargets,
    oneLockPerTarget,
    manualApproval,
    cleanText,
    noFutureIncidents,
    eventStillTrue,
  ])
    invariant(checked, violations);
  return violations;
}
