import * as z from 'zod';
import { type Incident, IncidentSchema } from './incident';
import type { Release } from './guard-schema';
import { type StepOutcome, type StepResult, currentStepOutcome, secondsBetween } from './escalation';
import { describeAction } from './policy/engine';
import { ExecutionStateSchema } from './execution-state';

/** How the state machine ended (or, for `escalated`, left a rung of the ladder). */
export const OutcomeSchema = z.enum(['succeeded', 'failed', 'skipped', 'notified', 'not-recovered', 'escalated']);
export type Outcome = z.infer<typeof OutcomeSchema>;

// Lenient on purpose: a failure can be caught before any later field exists, and the record
// must still be written. Each field is validated when present.
export const RecordInputSchema = z.object({
  outcome: OutcomeSchema,
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
  /** Escalation ladders: every rung tried, its result and time to OK. */
  steps?: StepOutcome[];
  shadow?: ShadowRecord;
}

const SKIPS_WORTH_A_PAGE = new Set(['AtCapacityLimit', 'CircuitOpen', 'NotApproved', 'Stale']);

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
  const { state } = input;
  const outcome: Exclude<Outcome, 'escalated'> = input.outcome === 'escalated' ? 'not-recovered' : input.outcome;
  const incident = incidentOf(state);
  const plan = state.plan;
  const actionType = plan?.action?.type ?? 'none';
  const dryRun = plan?.dryRun ?? incident?.dryRun ?? false;
  const reason =
    outcome === 'skipped'
      ? (state.stale?.Error ??
        state.prepared?.reason ??
        state.guard?.reason ??
        state.approvalDecision?.reason ??
        plan?.reason)
      : state.error?.Error;
  const shadow = plan?.shadow === true;
  // A ladder's rungs: those left behind, and the one the execution ends on.
  const history = state.escalation?.steps ?? [];
  const ladder = (plan?.escalation?.of ?? 1) > 1;
  const last =
    ladder && plan && plan.decision === 'act'
      ? currentStepOutcome({ ...state, plan }, dryRun && !shadow ? 'dry-run' : STEP_RESULT[outcome], now, reason)
      : undefined;
  const steps = ladder ? [...history, ...(last ? [last] : [])] : undefined;
  const metrics: MetricRecord[] = [];
  const count = (name: string, dimensions: Record<string, string> = {}) =>
    metrics.push({ name, unit: 'Count', value: 1, dimensions });
  const actionDims = { Action: actionType };

  if (state.applied) count('RemediationStarted', actionDims);
  let timeToRemediateSeconds: number | undefined;
  let timeToRecoverSeconds: number | undefined;
  // A dry run remediates nothing: no times to report.
  if (incident && !dryRun) {
    timeToRemediateSeconds = secondsBetween(incident.detectedAt, state.progress?.completedAt);
    timeToRecoverSeconds = secondsBetween(incident.detectedAt, state.verification?.recoveredAt);
  }
  switch (outcome) {
    case 'succeeded':
      count(dryRun ? 'RemediationDryRun' : 'RemediationSucceeded', actionDims);
      if (timeToRemediateSeconds !== undefined)
        metrics.push({
          name: 'TimeToRemediate',
          unit: 'Seconds',
          value: timeToRemediateSeconds,
          dimensions: actionDims,
        });
      if (timeToRecoverSeconds !== undefined)
        metrics.push({ name: 'TimeToRecover', unit: 'Seconds', value: timeToRecoverSeconds, dimensions: actionDims });
      break;
    case 'failed':
    case 'not-recovered':
      count('RemediationFailed', actionDims);
      break;
    case 'skipped':
      count('RemediationSkipped', { Reason: reason ?? 'Unknown' });
      break;
    case 'notified':
      break;
  }

  if (last && !dryRun) metrics.push(...stepMetrics(last));
  let shadowRecord: ShadowRecord | undefined;
  if (shadow && plan?.action) {
    const recovered = state.verification?.status === 'recovered';
    const timeToSelfRecoverSeconds =
      recovered && incident ? secondsBetween(incident.detectedAt, state.verification?.recoveredAt) : undefined;
    shadowRecord = {
      wouldDo: state.applied?.description?.replace(/^Dry run: would /, '') ?? describeAction(plan.action),
      decision: outcome === 'skipped' ? 'would-skip' : outcome === 'failed' ? 'would-fail' : 'would-act',
      ...((outcome === 'skipped' || outcome === 'failed') && reason ? { reason } : {}),
      // Recovered before the action would have run (AlreadyRecovered) is recovering by itself too.
      selfRecovered: recovered || reason === 'AlreadyRecovered',
      ...(timeToSelfRecoverSeconds !== undefined ? { timeToSelfRecoverSeconds } : {}),
      ...(state.verification?.alarmState ? { alarmState: state.verification.alarmState } : {}),
    };
    count('ShadowDecisions', { Rule: plan.rule ?? 'manual', SelfRecovered: String(shadowRecord.selfRecovered) });
    if (timeToSelfRecoverSeconds !== undefined)
      metrics.push({
        name: 'ShadowTimeToSelfRecover',
        unit: 'Seconds',
        value: timeToSelfRecoverSeconds,
        dimensions: { Rule: plan.rule ?? 'manual' },
      });
  }
  const what = plan?.action ? describeAction(plan.action) : 'no action';
  const id = incident?.id ?? 'unknown incident';
  const summary = incident?.summary ?? 'incident could not be read';
  const lines = [
    `Incident: ${id}`,
    `What happened: ${summary}`,
    ...(plan?.rule ? [`Rule: ${plan.rule}`] : []),
    `Action: ${what}${shadow ? ' (shadow mode)' : dryRun ? ' (dry run)' : ''}`,
    ...(plan?.correlatedChange ? [`Correlated change: ${plan.correlatedChange.description}`] : []),
    ...(steps
      ? [
          'Escalation:',
          ...steps.map(
            (s) =>
              `  ${s.step}. ${s.action}: ${s.result}${s.reason ? ` (${s.reason})` : ''}${s.timeToOkSeconds !== undefined ? `, OK after ${s.timeToOkSeconds} s` : ''}`,
          ),
        ]
      : []),
    ...(state.guard?.reason === 'BudgetExhausted' ? [`Budget: ${state.guard.detail}`] : []),
    ...(state.stale ? [`Not acted on: ${state.stale.Cause ?? state.stale.Error}`] : []),
    ...(state.applied ? [`Done: ${state.applied.description}`] : []),
    ...(state.progress ? [`Progress: ${state.progress.detail}`] : []),
    ...(state.verification ? [`Recovery: ${state.verification.detail}`] : []),
    ...(state.error ? [`Error: ${state.error.Error}: ${state.error.Cause ?? ''}`] : []),
    ...(state.approvalError
      ? [
          `Approval: ${state.approvalError.Error === 'States.Timeout' ? 'no answer in time' : `rejected: ${state.approvalError.Cause ?? ''}`}`,
        ]
      : []),
    ...(reason && outcome === 'skipped'
      ? [
          `Skipped: ${reason}${state.prepared?.description ? ` — ${state.prepared.description}` : ''}${state.guard?.reason ? ` — ${state.guard.detail}` : ''}`,
        ]
      : []),
    ...(plan ? ['', 'Why:', ...plan.explanation.map((line) => `- ${line}`)] : []),
  ];
  if (released?.released) lines.push('', `Guard: ${released.detail}`);
  if (released?.circuitOpened) {
    count('CircuitBreakerOpened', actionDims);
    lines.push(
      `The circuit breaker for ${state.guard?.targetKey ?? 'this target'} is open: new incidents on it are skipped (CircuitOpen) until it is reset (README "Operations").`,
    );
  }
  let notification: OutcomeRecord['notification'];
  const notify = (severity: 'info' | 'warning' | 'critical', headline: string) => {
    notification = { severity, subject: subjectLine(`[SelfHealing] ${headline}`), message: lines.join('\n') };
    count('Notifications', { Severity: severity });
  };
  const alarmOrSummary = incident?.alarm?.name ?? summary;
  const climbed = history.length > 0;
  if (shadow) {
    // Shadow decisions are evidence for a report, not news for a pager; a held-back one still is.
    if (outcome === 'failed') notify('warning', `SHADOW decision FAILED ${what}: ${alarmOrSummary}`);
  } else if (reason === 'BudgetExhausted' && outcome === 'skipped') {
    notify('critical', `BUDGET EXHAUSTED, notify-only: ${what}: ${alarmOrSummary}`);
  } else if (outcome === 'notified' && climbed) {
    notify(
      'critical',
      `ESCALATED to a human after ${history.length} step${history.length > 1 ? 's' : ''}: ${alarmOrSummary}`,
    );
  } else if (outcome === 'skipped' && climbed && reason !== 'AlreadyRecovered') {
    notify('critical', `ESCALATION STOPPED at step ${plan?.escalation?.step ?? '?'} (${reason}): ${alarmOrSummary}`);
  } else if (outcome === 'failed')
    notify('critical', `${released?.circuitOpened ? 'CIRCUIT OPEN, ' : ''}FAILED ${what}: ${alarmOrSummary}`);
  else if (outcome === 'not-recovered')
    notify(
      'critical',
      `${released?.circuitOpened ? 'CIRCUIT OPEN, ' : ''}NOT RECOVERED after ${what}: ${alarmOrSummary}`,
    );
  else if (outcome === 'notified') {
    const severity = plan?.action?.type === 'notify' ? plan.action.severity : 'warning';
    const message = plan?.action?.type === 'notify' && plan.action.message ? `${plan.action.message} — ` : '';
    notify(severity, `${message}${alarmOrSummary}`);
  } else if (outcome === 'skipped' && (plan?.notifyOnSkip || SKIPS_WORTH_A_PAGE.has(reason ?? ''))) {
    notify('warning', `SKIPPED (${reason}): ${alarmOrSummary}`);
  } else if (outcome === 'succeeded' && notifyOnSuccess) {
    notify('info', `${dryRun ? 'DRY RUN ' : ''}REMEDIATED ${what}: ${alarmOrSummary}`);
  }

  return {
    outcome: shadow ? 'shadow' : outcome,
    incidentId: id,
    summary,
    ...(plan?.rule ? { rule: plan.rule } : {}),
    ...(plan?.action ? { action: what } : {}),
    ...(reason ? { reason } : {}),
    dryRun,
    ...(timeToRemediateSeconds !== undefined ? { timeToRemediateSeconds } : {}),
    ...(timeToRecoverSeconds !== undefined ? { timeToRecoverSeconds } : {}),
    metrics,
    ...(notification ? { notification } : {}),
    ...(released ? { guard: released } : {}),
    ...(steps ? { steps } : {}),
    ...(shadowRecord ? { shadow: shadowRecord } : {}),
  };
}
