// Safety invariants over what a simulated run did: the sandbox's call log (who called what, when,
// on what), the executions, the guard table at the end, and when the kill switch was on. Each
// returns violations that name the seed-independent facts, so a failing seed can be read.
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
/** The physical thing a mutating call changes. */
export function physicalTarget(call: CallRecord, facts: Pick<RunFacts, 'deploymentGroupOf'>): string {
  const p = call.params as Record<string, unknown>;
  switch (call.operation) {
    case 'AutoScaling.SetDesiredCapacity':
      return `asg:${String(p.AutoScalingGroupName)}`;
    case 'AutoScaling.SetInstanceHealth':
      return `instance:${String(p.InstanceId)}`;
    case 'CodeDeploy.CreateDeployment':
      return `deployment-group:${String(p.applicationName)}/${String(p.deploymentGroupName)}`;
    case 'CodeDeploy.StopDeployment':
      return `deployment-group:${facts.deploymentGroupOf(String(p.deploymentId)) ?? String(p.deploymentId)}`;
    case 'SSM.StartAutomationExecution': {
      const instances = ((p.Parameters as Record<string, string[]> | undefined)?.InstanceId ?? []).join(',');
      return instances ? `instance:${instances}` : `automation:${String(p.DocumentName)}`;
    }
    default:
      return `${call.operation}:${JSON.stringify(p)}`;
  }
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
}

/** 1. Never two changes to one physical target inside the first one's cooldown (a repeat of the same idempotent call is one change); never a non-idempotent change twice. */
function oneChangePerTarget({ facts, byName, applied }: Checked, violations: Violation[]): void {
  for (const [i, first] of applied.entries()) {
    for (const second of applied.slice(i + 1)) {
      if (physicalTarget(first, facts) !== physicalTarget(second, facts)) continue;
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
          detail: `${physicalTarget(first, facts)} changed by ${a} (${first.operation} at ${first.at}) and by ${b} ${gapSeconds} s later (${second.operation})`,
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

/** 3. Capacity: within the group's bounds, and a scale-out never lowers it. */
function capacityWithinBounds({ byName, applied }: Checked, violations: Violation[]): void {
  for (const call of applied.filter((c) => c.operation === 'AutoScaling.SetDesiredCapacity' && c.before)) {
    const desired = Number((call.params as Record<string, unknown>).DesiredCapacity);
    const before = call.before as NonNullable<CallRecord['before']>;
    if (desired < before.minSize || desired > before.maxSize)
      violations.push({
        invariant: 'capacity-bounds',
        detail: `${executionOf(call)} set ${desired} outside ${before.minSize}..${before.maxSize}`,
      });
    const action = (byName.get(executionOf(call))?.run?.output as { plan?: { action?: { type?: string } } } | undefined)
      ?.plan?.action?.type;
    if (action === 'scale-out' && desired < before.desired)
      violations.push({
        invariant: 'scale-out-lowers',
        detail: `${executionOf(call)} scaled out from ${before.desired} to ${desired}`,
      });
  }
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
    for (const target of new Set(calls.map((c) => physicalTarget(c, facts)))) {
      const last = Math.max(...calls.filter((c) => physicalTarget(c, facts) === target).map((c) => Date.parse(c.at)));
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
    for (const target of new Set(calls.map((c) => physicalTarget(c, facts)))) {
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
    const changed = (byExecution.get(execution.name) ?? []).length > 0;
    const started = names.includes('RemediationStarted');
    if (started && !changed && !names.includes('RemediationDryRun'))
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
  const expected = new Map<string, number>();
  for (const execution of facts.executions.filter((e) => e.status === 'SUCCEEDED')) {
    const output = execution.run?.output as { record?: { notification?: unknown } } | undefined;
    const last = [...(execution.run?.states ?? [])].reverse().find((s) => OUTCOME_STATES.has(s));
    if (last)
      expected.set(
        `${execution.name}|${last}`,
        (expected.get(`${execution.name}|${last}`) ?? 0) + (output?.record?.notification ? 1 : 0),
      );
  }
  for (const [actor, count] of expected) {
    const published = facts.calls.filter(
      (c) => c.operation === 'SNS.Publish' && c.outcome === 'ok' && c.actor === actor,
    ).length;
    if (published === count) continue;
    violations.push({
      invariant: 'notifications',
      detail: `${actor.replace('|', ': ')} published ${published} notifications, its records say ${count}`,
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
  ])
    invariant(checked, violations);
  return violations;
}
