import * as z from 'zod';
import { type Incident, IncidentSchema } from './incident';
import type { Release } from './guard-schema';
import { type StepOutcome, type StepResult, currentStepOutcome, secondsBetween } from './escalation';
import { describeAction } from './policy/describe';
import { ApprovalAnswerSchema, ExecutionStateSchema } from './execution-state';
import { quoted } from './approval';

/** How the state machine ended (or, for `escalated`, left a rung of the ladder). */
export const OutcomeSchema = z.enum(['succeeded', 'failed', 'skipped', 'notified', 'not-recovered', 'escalated']);
export type Outcome = z.infer<typeof OutcomeSchema>;

// Lenient on purpose: a failure can be caught before any later field exists, and the record
// must still be written. Each field is validated when present.
export const RecordInputSchema = z.object({
  outcome: OutcomeSchema,
  /** The execution's name ($$.Execution.Name): who holds the lock. */
  execution: z.string().optional(),
  state: ExecutionStateSchema.pick({
    incident: true,
    plan: true,
    guard: true,
    approvalDecision: true,
    approvalError: true,
    prepared: true,
    applied: true,
    progress: true,
    verification: true,
    error: true,
    stale: true,
    escalation: true,
  })
    .partial()
    .extend({
      // A malformed answer is the Approved? state's to refuse (Not Approved); here it only names the approver.
      approval: ApprovalAnswerSchema.optional().catch(undefined),
    })
    .loose(),
});
export type RecordInput = z.infer<typeof RecordInputSchema>;

export interface MetricRecord {
  name: string;
  unit: 'Count' | 'Seconds';
  value: number;
  dimensions: Record<string, string>;
}

/** What a shadow-mode decision learnt: what it would have done, and whether the alarm recovered by itself. */
export interface ShadowRecord {
  wouldDo: string;
  /** would-fail: the decision path itself failed (a missing target, a refused read): fix before activating. */
  decision: 'would-act' | 'would-skip' | 'would-fail';
  reason?: string;
  selfRecovered: boolean;
  timeToSelfRecoverSeconds?: number;
  alarmState?: string;
}

export interface OutcomeRecord {
  /** `shadow`: a shadow-mode decision, whatever path it took. */
  outcome: Outcome | 'shadow';
  incidentId: string;
  summary: string;
  rule?: string;
  action?: string;
  reason?: string;
  dryRun: boolean;
  timeToRemediateSeconds?: number;
  timeToRecoverSeconds?: number;
  metrics: MetricRecord[];
  notification?: { severity: 'info' | 'warning' | 'critical'; subject: string; message: string };
  guard?: Release;
  /** Who approved the change, as they said when they answered (CloudTrail holds the caller's identity). */
  approvedBy?: string;
  /** Escalation ladders: every rung tried, its result and time to OK. */
  steps?: StepOutcome[];
  shadow?: ShadowRecord;
}

const SKIPS_WORTH_A_PAGE = new Set([
  'AtCapacityLimit',
  'CircuitOpen',
  'NotApproved',
  'Stale',
  'LockLost',
  'HeldForReview',
  // The safety kernel held back a change a rule (or a person) asked for: someone should know why.
  'NoLongerNeeded',
  'Superseded',
  'NotInAlarm',
  'TargetNotNamedByAlarm',
  'ParameterNotAllowed',
]);

const STEP_RESULT: Record<Exclude<Outcome, 'escalated'>, StepResult> = {
  succeeded: 'recovered',
  failed: 'failed',
  skipped: 'skipped',
  notified: 'notified',
  'not-recovered': 'not-recovered',
};

/** The metrics of one rung: its result, and how long the alarm took to return to OK. */
export function stepMetrics(step: StepOutcome): MetricRecord[] {
  const dims = { Action: step.actionType };
  return [
    { name: 'EscalationStep', unit: 'Count', value: 1, dimensions: { ...dims, Result: step.result } },
    ...(step.timeToOkSeconds !== undefined
      ? [{ name: 'StepTimeToOk', unit: 'Seconds' as const, value: step.timeToOkSeconds, dimensions: dims }]
      : []),
  ];
}

/** The incident the failure happened to: from the planned state, or the raw execution input when Plan itself failed. */
export function incidentOf(state: RecordInput['state']): Incident | undefined {
  if (state.incident) return state.incident;
  const raw = IncidentSchema.safeParse(state);
  return raw.success ? raw.data : undefined;
}

// SNS subjects: ASCII, no line breaks, at most 100 characters.
function subjectLine(text: string): string {
  return text.replace(/[^\x20-\x7E]/g, '?').slice(0, 100);
}

type Final = Exclude<Outcome, 'escalated'>;
type Severity = 'info' | 'warning' | 'critical';

/** What the record is made from: how the execution ended, read once from its state. */
interface Ending {
  state: RecordInput['state'];
  outcome: Final;
  incident: Incident | undefined;
  plan: RecordInput['state']['plan'];
  reason: string | undefined;
  dryRun: boolean;
  shadow: boolean;
  /** The rungs a ladder climbed before this one. */
  history: StepOutcome[];
  /** Every rung of a ladder, this one included; undefined for a single action. */
  steps: StepOutcome[] | undefined;
  /** The rung the execution ends on, when the plan is a ladder. */
  last: StepOutcome | undefined;
  what: string;
  id: string;
  summary: string;
  timeToRemediateSeconds: number | undefined;
  timeToRecoverSeconds: number | undefined;
  /** A call recorded as started by a task that then failed (from the lock's release). */
  changeStarted: string | undefined;
}

function endingOf(input: RecordInput, now: Date, released: Release | undefined): Ending {
  const { state } = input;
  const outcome: Final = input.outcome === 'escalated' ? 'not-recovered' : input.outcome;
  const incident = incidentOf(state);
  const plan = state.plan;
  const dryRun = plan?.dryRun ?? incident?.dryRun ?? false;
  const shadow = plan?.shadow === true;
  const reason =
    outcome === 'skipped'
      ? (state.stale?.Error ??
        state.prepared?.reason ??
        state.guard?.reason ??
        state.approvalDecision?.reason ??
        plan?.reason)
      : state.error?.Error;
  const history = state.escalation?.steps ?? [];
  const ladder = (plan?.escalation?.of ?? 1) > 1;
  const last =
    ladder && plan && plan.decision === 'act'
      ? currentStepOutcome({ ...state, plan }, dryRun && !shadow ? 'dry-run' : STEP_RESULT[outcome], now, reason)
      : undefined;
  // A dry run remediates nothing: no times to report.
  const timed = incident && !dryRun;
  return {
    state,
    outcome,
    incident,
    plan,
    reason,
    dryRun,
    shadow,
    history,
    steps: ladder ? [...history, ...(last ? [last] : [])] : undefined,
    last,
    what: plan?.action ? describeAction(plan.action) : 'no action',
    id: incident?.id ?? 'unknown incident',
    summary: incident?.summary ?? 'incident could not be read',
    timeToRemediateSeconds: timed ? secondsBetween(incident.detectedAt, state.progress?.completedAt) : undefined,
    timeToRecoverSeconds: timed ? secondsBetween(incident.detectedAt, state.verification?.recoveredAt) : undefined,
    changeStarted: released?.changeStarted,
  };
}

const counted = (name: string, dimensions: Record<string, string> = {}): MetricRecord => ({
  name,
  unit: 'Count',
  value: 1,
  dimensions,
});
const seconds = (name: string, value: number | undefined, dimensions: Record<string, string>): MetricRecord[] =>
  value === undefined ? [] : [{ name, unit: 'Seconds', value, dimensions }];

/** The remediation's metrics: started, how it ended, its times, and its rung's. */
function remediationMetrics(e: Ending): MetricRecord[] {
  const actionDims = { Action: e.plan?.action?.type ?? 'none' };
  // Started: the action reported its call, or the lock's release found the call recorded as started,
  // or an earlier rung of the ladder made its change (the incident changed something, once counted).
  const started = e.state.applied || e.changeStarted || e.history.some((step) => step.startedAt !== undefined);
  const metrics: MetricRecord[] = started ? [counted('RemediationStarted', actionDims)] : [];
  switch (e.outcome) {
    case 'succeeded':
      metrics.push(
        counted(e.dryRun ? 'RemediationDryRun' : 'RemediationSucceeded', actionDims),
        ...seconds('TimeToRemediate', e.timeToRemediateSeconds, actionDims),
        ...seconds('TimeToRecover', e.timeToRecoverSeconds, actionDims),
      );
      break;
    case 'failed':
    case 'not-recovered':
      metrics.push(counted('RemediationFailed', actionDims));
      break;
    case 'skipped':
      metrics.push(counted('RemediationSkipped', { Reason: e.reason ?? 'Unknown' }));
      break;
    case 'notified':
      break;
  }
  if (e.last && !e.dryRun) metrics.push(...stepMetrics(e.last));
  return metrics;
}

/** What a shadow decision learnt, and its metrics. */
function shadowOf(e: Ending): { record: ShadowRecord; metrics: MetricRecord[] } | undefined {
  const { plan, state, incident, outcome, reason } = e;
  if (!e.shadow || !plan?.action) return undefined;
  const recovered = state.verification?.status === 'recovered';
  const timeToSelfRecoverSeconds =
    recovered && incident ? secondsBetween(incident.detectedAt, state.verification?.recoveredAt) : undefined;
  const record: ShadowRecord = {
    wouldDo: state.applied?.description?.replace(/^Dry run: would /, '') ?? describeAction(plan.action),
    decision: outcome === 'skipped' ? 'would-skip' : outcome === 'failed' ? 'would-fail' : 'would-act',
    ...((outcome === 'skipped' || outcome === 'failed') && reason ? { reason } : {}),
    // Recovered before the action would have run (AlreadyRecovered) is recovering by itself too.
    selfRecovered: recovered || reason === 'AlreadyRecovered',
    ...(timeToSelfRecoverSeconds !== undefined ? { timeToSelfRecoverSeconds } : {}),
    ...(state.verification?.alarmState ? { alarmState: state.verification.alarmState } : {}),
  };
  const rule = plan.rule ?? 'manual';
  return {
    record,
    metrics: [
      counted('ShadowDecisions', { Rule: rule, SelfRecovered: String(record.selfRecovered) }),
      ...seconds('ShadowTimeToSelfRecover', timeToSelfRecoverSeconds, { Rule: rule }),
    ],
  };
}

/** An error or skip name as it is when it is one (ScalingActivityInProgress, States.Timeout), else quoted. */
const named = (name: string): string => (/^[\w.:-]{1,128}$/.test(name) ? name : quoted(name));

/**
 * The notification's body: what happened, what was done, and why, in the order an on-call engineer reads.
 * Everything an alarm, an event, an AWS answer or a person wrote is quoted() (domain/approval.ts): one
 * line each, odd characters escaped, so no such text can pose as a line of this message.
 */
function messageLines(e: Ending, released: Release | undefined): string[] {
  const { state, plan, steps, outcome, reason } = e;
  const lines = [
    `Incident: ${e.id}`,
    `What happened: ${quoted(e.summary)}`,
    ...(plan?.rule ? [`Rule: ${plan.rule}`] : []),
    `Action: ${quoted(e.what)}${e.shadow ? ' (shadow mode)' : e.dryRun ? ' (dry run)' : ''}`,
    ...(plan?.correlatedChange ? [`Correlated change: ${quoted(plan.correlatedChange.description)}`] : []),
    ...(steps
      ? [
          'Escalation:',
          ...steps.map(
            (s) =>
              `  ${s.step}. ${quoted(s.action)}: ${s.result}${s.reason ? ` (${named(s.reason)})` : ''}${s.timeToOkSeconds !== undefined ? `, OK after ${s.timeToOkSeconds} s` : ''}`,
          ),
        ]
      : []),
    ...(state.guard?.reason === 'BudgetExhausted' ? [`Budget: ${quoted(state.guard.detail)}`] : []),
    ...(state.stale ? [`Not acted on: ${quoted(state.stale.Cause ?? state.stale.Error)}`] : []),
    ...(state.approval?.approved ? [`Approved by: ${quoted(state.approval.by ?? '(not given)')}`] : []),
    ...(state.applied ? [`Done: ${quoted(state.applied.description)}`] : []),
    ...(!state.applied && e.changeStarted
      ? [`Started: ${quoted(e.changeStarted)}, before the task failed (counted as made)`]
      : []),
    ...(state.progress ? [`Progress: ${quoted(state.progress.detail)}`] : []),
    ...(state.verification ? [`Recovery: ${quoted(state.verification.detail)}`] : []),
    ...(state.error
      ? [`Error: ${named(state.error.Error)}${state.error.Cause ? `: ${quoted(state.error.Cause)}` : ''}`]
      : []),
    ...(state.approvalError
      ? [
          `Approval: ${state.approvalError.Error === 'States.Timeout' ? 'no answer in time' : `rejected: ${quoted(state.approvalError.Cause ?? '')}`}`,
        ]
      : []),
    ...(reason && outcome === 'skipped'
      ? [
          `Skipped: ${named(reason)}${state.prepared?.description ? ` — ${quoted(state.prepared.description)}` : ''}${state.guard?.reason ? ` — ${quoted(state.guard.detail)}` : ''}`,
        ]
      : []),
    ...(plan ? ['', 'Why:', ...plan.explanation.map((line) => `- ${quoted(line)}`)] : []),
  ];
  if (released?.released) lines.push('', `Guard: ${quoted(released.detail)}`);
  if (released?.circuitOpened)
    lines.push(
      `The circuit breaker for ${state.guard?.targetKey ? quoted(state.guard.targetKey) : 'this target'} is open: new incidents on it are skipped (CircuitOpen) until it is reset (README "Operations").`,
    );
  return lines;
}

/** Whether a human hears about it, how loudly, and the headline: undefined when nobody needs to. */
function headlineFor(
  e: Ending,
  notifyOnSuccess: boolean,
  released: Release | undefined,
): { severity: Severity; headline: string } | undefined {
  const { outcome, reason, plan, history, what } = e;
  const alarmOrSummary = e.incident?.alarm?.name ?? e.summary;
  const circuit = released?.circuitOpened ? 'CIRCUIT OPEN, ' : '';
  const climbed = history.length > 0;
  // Shadow decisions are evidence for a report, not news for a pager; a held-back one still is.
  if (e.shadow)
    return outcome === 'failed'
      ? { severity: 'warning', headline: `SHADOW decision FAILED ${what}: ${alarmOrSummary}` }
      : undefined;
  if (reason === 'BudgetExhausted' && outcome === 'skipped')
    return { severity: 'critical', headline: `BUDGET EXHAUSTED, notify-only: ${what}: ${alarmOrSummary}` };
  if (outcome === 'notified' && climbed)
    return {
      severity: 'critical',
      headline: `ESCALATED to a human after ${history.length} step${history.length > 1 ? 's' : ''}: ${alarmOrSummary}`,
    };
  if (outcome === 'skipped' && climbed && reason !== 'AlreadyRecovered')
    return {
      severity: 'critical',
      headline: `ESCALATION STOPPED at step ${plan?.escalation?.step ?? '?'} (${reason}): ${alarmOrSummary}`,
    };
  if (outcome === 'failed') return { severity: 'critical', headline: `${circuit}FAILED ${what}: ${alarmOrSummary}` };
  if (outcome === 'not-recovered')
    return { severity: 'critical', headline: `${circuit}NOT RECOVERED after ${what}: ${alarmOrSummary}` };
  if (outcome === 'notified') {
    const severity = plan?.action?.type === 'notify' ? plan.action.severity : 'warning';
    const message = plan?.action?.type === 'notify' && plan.action.message ? `${plan.action.message} — ` : '';
    return { severity, headline: `${message}${alarmOrSummary}` };
  }
  if (outcome === 'skipped' && (plan?.notifyOnSkip || SKIPS_WORTH_A_PAGE.has(reason ?? '')))
    return { severity: 'warning', headline: `SKIPPED (${reason}): ${alarmOrSummary}` };
  if (outcome === 'succeeded' && notifyOnSuccess)
    return { severity: 'info', headline: `${e.dryRun ? 'DRY RUN ' : ''}REMEDIATED ${what}: ${alarmOrSummary}` };
  return undefined;
}

/**
 * Pure: what to record for one finished execution — the outcome, the SelfHealing metrics and,
 * when a human should know, the notification.
 */
export function describeOutcome(
  input: RecordInput,
  notifyOnSuccess: boolean,
  released?: Release,
  now: Date = new Date(),
): OutcomeRecord {
  const e = endingOf(input, now, released);
  const shadow = shadowOf(e);
  const actionDims = { Action: e.plan?.action?.type ?? 'none' };
  const metrics = [
    ...remediationMetrics(e),
    ...(shadow?.metrics ?? []),
    ...(released?.circuitOpened ? [counted('CircuitBreakerOpened', actionDims)] : []),
  ];
  const headline = headlineFor(e, notifyOnSuccess, released);
  const notification = headline && {
    severity: headline.severity,
    subject: subjectLine(`[SelfHealing] ${headline.headline}`),
    message: messageLines(e, released).join('\n'),
  };
  if (notification) metrics.push(counted('Notifications', { Severity: notification.severity }));
  return {
    outcome: e.shadow ? 'shadow' : e.outcome,
    incidentId: e.id,
    summary: e.summary,
    ...(e.plan?.rule ? { rule: e.plan.rule } : {}),
    ...(e.plan?.action ? { action: e.what } : {}),
    ...(e.reason ? { reason: e.reason } : {}),
    dryRun: e.dryRun,
    ...(e.timeToRemediateSeconds !== undefined ? { timeToRemediateSeconds: e.timeToRemediateSeconds } : {}),
    ...(e.timeToRecoverSeconds !== undefined ? { timeToRecoverSeconds: e.timeToRecoverSeconds } : {}),
    metrics,
    ...(notification ? { notification } : {}),
    ...(released ? { guard: released } : {}),
    ...(e.state.approval?.approved ? { approvedBy: e.state.approval.by ?? '(not given)' } : {}),
    ...(e.steps ? { steps: e.steps } : {}),
    ...(shadow ? { shadow: shadow.record } : {}),
  };
}
