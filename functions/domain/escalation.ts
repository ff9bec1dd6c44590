import * as z from 'zod';
import { isMutating } from './policy/actions';
import { describeAction } from './policy/describe';
import {
  EscalationHistorySchema,
  type EscalationHistory,
  ExecutionStateSchema,
  type PlannedState,
  StepOutcomeSchema,
  type StepOutcome,
  StepResultSchema,
  type StepResult,
} from './execution-state';

export {
  EscalationHistorySchema,
  type EscalationHistory,
  StepOutcomeSchema,
  type StepOutcome,
  StepResultSchema,
  type StepResult,
};

// The escalation ladder between two rungs: what the rung just left achieved, and the plan for
// the next one. Pure, so the record-outcome function (which releases the rung's lock and emits
// its metrics) and the tests share it.

export const ClimbInputSchema = ExecutionStateSchema.pick({ incident: true, plan: true }).extend(
  ExecutionStateSchema.pick({ escalation: true, applied: true, prepared: true, verification: true }).partial().shape,
);
export type ClimbInput = z.infer<typeof ClimbInputSchema>;

export type ClimbedState = PlannedState & { escalation: EscalationHistory };

/** Seconds from one ISO time to another, to a tenth; undefined when either is missing. */
export const secondsBetween = (from: string | undefined, to: string | undefined) =>
  from && to ? Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 100) / 10) : undefined;

/** The outcome of the rung the plan is on, given how the execution left it. */
export function currentStepOutcome(
  state: Pick<ClimbInput, 'plan' | 'applied' | 'prepared' | 'verification'>,
  result: StepResult,
  now: Date,
  reason?: string,
): StepOutcome | undefined {
  const { plan } = state;
  if (!plan.action) return undefined;
  const startedAt = state.applied?.appliedAt;
  const timeToOkSeconds =
    result === 'recovered' ? secondsBetween(startedAt, state.verification?.recoveredAt) : undefined;
  const detail =
    state.verification?.detail ??
    state.prepared?.description ??
    state.applied?.description ??
    describeAction(plan.action);
  return {
    step: plan.escalation.step,
    actionType: plan.action.type,
    action: describeAction(plan.action),
    result,
    ...(reason ? { reason } : {}),
    ...(startedAt ? { startedAt } : {}),
    endedAt: now.toISOString(),
    ...(timeToOkSeconds !== undefined ? { timeToOkSeconds } : {}),
    detail,
  };
}

/**
 * The rung did not bring the alarm back to OK (or had nothing to change): record it and move the
 * plan to the next rung. Later rungs are a continuation of the same response, so the incident's
 * maximum age no longer applies; each still passes the guard step and the alarm check.
 */
export function climb(state: ClimbInput, now: Date): { left: StepOutcome; next: ClimbedState } {
  const { plan } = state;
  const { step, of, steps } = plan.escalation;
  const next = steps[step];
  if (!plan.escalation.hasNext || !next) throw new Error(`No escalation step after ${step} of ${of}`);
  const skipped = state.prepared?.status === 'noop';
  const left = currentStepOutcome(
    state,
    skipped ? 'skipped' : 'not-recovered',
    now,
    skipped ? state.prepared?.reason : undefined,
  );
  if (!left) throw new Error('The plan has no action to escalate from');
  const alarm = state.incident.alarm?.name ?? 'the alarm';
  const why = skipped
    ? `Step ${step} (${left.action}) had nothing to change (${left.reason ?? 'no-op'})`
    : `Step ${step} (${left.action}) did not bring ${alarm} back to OK in time`;
  const mutating = isMutating(next.action.type);
  return {
    left,
    next: {
      incident: state.incident,
      plan: {
        ...plan,
        notAfter: undefined,
        action: next.action,
        progress: next.progress,
        verify: next.verify,
        escalation: { ...plan.escalation, step: step + 1, hasNext: step + 1 < of },
        approval: mutating ? plan.approval : { required: false, timeoutSeconds: plan.approval.timeoutSeconds },
        changeCheck: { enabled: false },
        explanation: [
          ...plan.explanation,
          `${why}: escalating to step ${step + 1} of ${of}, ${describeAction(next.action)}.`,
        ],
      },
      escalation: { steps: [...(state.escalation?.steps ?? []), left] },
    },
  };
}
