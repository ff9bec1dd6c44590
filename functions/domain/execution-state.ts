import * as z from 'zod';
import { IncidentSchema } from './incident';
import { ActionSchema, ActionTypeSchema } from './policy/actions';
import { GuardSchema } from './guard-schema';
import { ApprovalBasisSchema } from './approval-basis';

// The state the remediation workflow carries from task to task. Each task validates the part
// it reads, so a hand-edited manual execution fails at the first task with a named field.

export const SkipReasonSchema = z.enum([
  'NoMatchingRule',
  'NotInAlarm',
  'TargetUnresolved',
  'InvalidAlarmTags',
  'AlarmTagActionNotAllowed',
  'TargetNotNamedByAlarm',
  'AtCapacityLimit',
  'NotInAutoScalingGroup',
  'NotApproved',
  'Stale',
  'AlreadyRecovered',
  'Paused',
  'LockLost',
  'NoLongerNeeded',
  'Superseded',
  'ParameterNotAllowed',
  'BudgetExhausted',
]);
export type SkipReason = z.infer<typeof SkipReasonSchema>;

const PollSchema = z.object({
  intervalSeconds: z.int().min(1),
  maxPolls: z.int().min(1),
  /** The first Await's timeout (the planner sets it: see firstWait); the ASL reads it. */
  firstWaitSeconds: z.int().min(1).optional(),
});
const VerifyPollSchema = PollSchema.extend({ enabled: z.boolean() });

/** A rung of the escalation ladder, rendered at plan time. */
export const PlannedStepSchema = z.object({ action: ActionSchema, progress: PollSchema, verify: VerifyPollSchema });
export type PlannedStep = z.infer<typeof PlannedStepSchema>;

export const EscalationSchema = z.object({
  /** The rung the plan's `action` is (1-based). */
  step: z.int().min(1),
  of: z.int().min(1),
  /** Read by the ASL's Choice states: is there a rung to climb to when this one does not bring OK? */
  hasNext: z.boolean(),
  /** Every rung, when the rule has a ladder (empty for a single action). */
  steps: z.array(PlannedStepSchema),
});
export type Escalation = z.infer<typeof EscalationSchema>;
export const NO_ESCALATION: Escalation = { step: 1, of: 1, hasNext: false, steps: [] };

/** What the change-correlation step looks for (read by the ASL: `enabled` is always present). */
export const ChangeCheckSchema = z.object({
  enabled: z.boolean(),
  /** Changes that finished in [since, until] (or are still running) count. */
  since: z.iso.datetime().optional(),
  until: z.iso.datetime().optional(),
  application: z.string().optional(),
  deploymentGroup: z.string().optional(),
  autoScalingGroupName: z.string().optional(),
});
export type ChangeCheck = z.infer<typeof ChangeCheckSchema>;

export const CorrelatedChangeSchema = z.object({
  kind: z.enum(['deployment', 'instance-refresh']),
  id: z.string(),
  /** application/deployment-group, or the Auto Scaling group. */
  resource: z.string(),
  status: z.string(),
  startedAt: z.iso.datetime().optional(),
  finishedAt: z.iso.datetime().optional(),
  /** Minutes between the change finishing (or starting, if still running) and the alarm. */
  minutesBeforeAlarm: z.number(),
  description: z.string(),
});
export type CorrelatedChange = z.infer<typeof CorrelatedChangeSchema>;

/** What the safety kernel holds this plan's changes to (domain/safety-kernel.ts), set by the planner from the policy. */
export const PlanSafetySchema = z.object({
  /** What the plan may act on: the incident's identity, the rule's allowedTargets and what the policy itself writes. */
  bound: z.object({
    targets: z.array(z.string()),
    /** Of `targets`, those AWS, the policy or an operator names; one only alarm tags name needs a human for all but a scale-out. */
    // Absent from a plan made before this field existed: nothing attested, so a human approves.
    attested: z.array(z.string()).default([]),
    documents: z.array(z.string()),
    parameterValues: z.record(z.string(), z.array(z.string())),
  }),
  actOnInsufficientData: z.boolean(),
  blastRadius: z.object({ maxInstances: z.int().min(1), maxPercent: z.int().min(0).max(100) }),
  approvedChangeToleranceInstances: z.int().min(0),
  /** Ingest started the execution, or a person did (a manual request, or an incident's shape passed by hand). */
  startedBy: z.enum(['ingest', 'operator']).default('ingest'),
  /** The action types a human approves when a person started the execution (the policy's safety.manualApprovalRequired). */
  operatorApproval: z.array(z.string()).default([]),
});
export type PlanSafety = z.infer<typeof PlanSafetySchema>;

export const PlanSchema = z.object({
  decision: z.enum(['act', 'skip']),
  reason: SkipReasonSchema.optional(),
  rule: z.string().optional(),
  actionSource: z.enum(['rule', 'alarm-tags', 'manual', 'change-correlation']).optional(),
  action: ActionSchema.optional(),
  dryRun: z.boolean(),
  dryRunSources: z.array(z.enum(['stack', 'rule', 'incident', 'shadow'])),
  /** Shadow mode: a dry run that keeps watching the alarm, to learn whether it recovers by itself. */
  shadow: z.boolean().default(false),
  /** Whether a skip deserves a human's attention (a rule matched but could not act). */
  notifyOnSkip: z.boolean(),
  progress: PollSchema,
  verify: VerifyPollSchema,
  escalation: EscalationSchema.default(NO_ESCALATION),
  changeCheck: ChangeCheckSchema.default({ enabled: false }),
  correlatedChange: CorrelatedChangeSchema.optional(),
  cooldownSeconds: z.int().min(0),
  approval: z.object({
    required: z.boolean(),
    timeoutSeconds: z.int().min(1),
    /** A scale-out raising desired capacity by more than this needs approval (decided when the change is computed). */
    capacityIncreaseOverPercent: z.int().min(0).optional(),
  }),
  /** Acting on the first step must start before this (the incident's maximum age); later steps only check the alarm. */
  notAfter: z.iso.datetime().optional(),
  environment: z.string().optional(),
  /** Absent in a plan made before the kernel: then nothing is bound and no change goes out. */
  safety: PlanSafetySchema.optional(),
  explanation: z.array(z.string()),
  plannedAt: z.iso.datetime(),
});
export type Plan = z.infer<typeof PlanSchema>;

/** What an action's apply step started, so the progress check knows what to watch. */
export const WatchSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({
    kind: z.literal('auto-scaling-group'),
    autoScalingGroupName: z.string(),
    desiredCapacity: z.int(),
    replacedInstanceId: z.string().optional(),
  }),
  z.object({ kind: z.literal('deployment'), deploymentId: z.string() }),
  z.object({ kind: z.literal('automation'), executionId: z.string() }),
]);
export type Watch = z.infer<typeof WatchSchema>;

export const AppliedSchema = z.object({
  applied: z.boolean(),
  dryRun: z.boolean(),
  /** One line for humans: what was done, or what would have been done. */
  description: z.string(),
  /** The mutating call made (or, in a dry run, the one that would have been made). */
  call: z.object({ operation: z.string(), input: z.record(z.string(), z.unknown()) }).optional(),
  watch: WatchSchema,
  appliedAt: z.iso.datetime(),
});
export type Applied = z.infer<typeof AppliedSchema>;

/** What a dry run of an action records: the call it would have made, and nothing to watch. */
export function wouldApply(description: string, call: NonNullable<Applied['call']>, appliedAt: string): Applied {
  return {
    applied: false,
    dryRun: true,
    description: `Dry run: would ${description}`,
    call,
    watch: { kind: 'none' },
    appliedAt,
  };
}

/** When to look again: always present, as the ASL's Choice and Wait states read them. */
const NextPollSchema = z.object({
  /** Seconds the Wait state waits before the next look (0 once the loop is over). */
  nextCheckSeconds: z.int().min(0).default(0),
  /** The rule's timeout is used up: no next look. */
  exhausted: z.boolean().default(false),
});

/** The longest a poll loop waits between two looks. */
export const MAX_POLL_WAIT_SECONDS = 300;

/**
 * Exponential backoff within a budget, for the progress and verify loops. The first look comes
 * `firstWaitSeconds` after the loop starts (an Await state before it) or sooner, when the event
 * that ends the wait arrives. After look n the loop waits interval × 2^n, at most MAX_POLL_WAIT_SECONDS and
 * never past the rule's timeout (interval × maxPolls). The waits are the fallback for a lost event,
 * not the clock: they back off from twice the interval, so an action that takes longer than one
 * interval costs one look fewer (each look is three billed state transitions).
 */
/** The first wait of a loop: twice the interval, within the loop's budget (the waits are a fallback). */
export const firstWait = (intervalSeconds: number, maxPolls: number): number =>
  Math.min(2 * intervalSeconds, intervalSeconds * maxPolls);

export function nextPoll(
  loop: { intervalSeconds: number; maxPolls: number; firstWaitSeconds?: number | undefined },
  attempt: number,
  finished: boolean,
): z.infer<typeof NextPollSchema> {
  if (finished) return { nextCheckSeconds: 0, exhausted: false };
  const budget = loop.intervalSeconds * loop.maxPolls;
  let waited = loop.firstWaitSeconds ?? loop.intervalSeconds;
  for (let look = 1; look < attempt; look += 1)
    waited += Math.min(loop.intervalSeconds * 2 ** look, MAX_POLL_WAIT_SECONDS);
  const remaining = budget - waited;
  if (remaining <= 0) return { nextCheckSeconds: 0, exhausted: true };
  return {
    nextCheckSeconds: Math.min(loop.intervalSeconds * 2 ** attempt, MAX_POLL_WAIT_SECONDS, remaining),
    exhausted: false,
  };
}

export const ProgressSchema = NextPollSchema.extend({
  status: z.enum(['pending', 'done']),
  attempt: z.int().min(0),
  detail: z.string(),
  watch: WatchSchema,
  completedAt: z.iso.datetime().optional(),
  /** When this read was made: events after it may not have been seen (domain/wake.ts). */
  checkedAt: z.iso.datetime().optional(),
});
export type Progress = z.infer<typeof ProgressSchema>;

export const VerificationSchema = NextPollSchema.extend({
  status: z.enum(['pending', 'recovered', 'not-applicable', 'skipped']),
  attempt: z.int().min(0),
  detail: z.string(),
  alarmState: z.string().optional(),
  recoveredAt: z.iso.datetime().optional(),
  checkedAt: z.iso.datetime().optional(),
});
export type Verification = z.infer<typeof VerificationSchema>;

export { GuardSchema };

export const ErrorInfoSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

export const StepResultSchema = z.enum(['recovered', 'not-recovered', 'skipped', 'failed', 'notified', 'dry-run']);
export type StepResult = z.infer<typeof StepResultSchema>;

export const StepOutcomeSchema = z.object({
  step: z.int().min(1),
  actionType: ActionTypeSchema,
  action: z.string(),
  result: StepResultSchema,
  reason: z.string().optional(),
  startedAt: z.iso.datetime().optional(),
  endedAt: z.iso.datetime(),
  /** From the action being applied to the alarm's return to OK. */
  timeToOkSeconds: z.number().optional(),
  detail: z.string(),
});
export type StepOutcome = z.infer<typeof StepOutcomeSchema>;

/** The rungs already left behind, carried in the execution state as `escalation`. */
export const EscalationHistorySchema = z.object({ steps: z.array(StepOutcomeSchema) });
export type EscalationHistory = z.infer<typeof EscalationHistorySchema>;

/**
 * What an action's prepare step decided, as every later reader sees it (the Choice states, the
 * approval request, escalation, the record). Each action's own prepared schema extends this one
 * and is checked in full by that action's apply step; here the rest passes through unread.
 */
export const PreparedSchema = z
  .object({
    status: z.enum(['ready', 'noop']).optional(),
    reason: SkipReasonSchema.optional(),
    description: z.string().optional(),
    approvalRequired: z.boolean().optional(),
    approvalReason: z.string().optional(),
    /** Names this very change: an approval binds to it (the workflow keeps the key it was given for). */
    key: z.string().optional(),
    /** What the approver is shown and the call is held to (domain/safety-kernel.ts). */
    basis: ApprovalBasisSchema.optional(),
  })
  .loose();
export type Prepared = z.infer<typeof PreparedSchema>;

/** A human's answer to an approval request (send-task-success); the Choice state checks `approved` is a boolean. */
export const ApprovalAnswerSchema = z
  .object({ approved: z.boolean(), by: z.string().optional(), comment: z.string().optional() })
  .loose();

/** What the recording step wrote last (the record itself: functions/domain/outcome.ts). */
export const RecordedSchema = z.object({ outcome: z.string(), reason: z.string().optional() }).loose();

/**
 * Everything the remediation workflow carries from state to state: one key per `ResultPath` the
 * ASL writes (test/unit/execution-state.test.ts keeps them in step), plus what Plan Remediation
 * returns. Each task reads a `.pick()` of it.
 */
export const ExecutionStateSchema = z.object({
  incident: IncidentSchema,
  plan: PlanSchema,
  guard: GuardSchema.optional(),
  /** Request Approval's answer, or why there was none (timeout, rejection), or the Pass that says NotApproved. */
  approval: ApprovalAnswerSchema.optional(),
  approvalError: ErrorInfoSchema.optional(),
  approvalDecision: z.object({ reason: z.literal('NotApproved') }).optional(),
  prepared: PreparedSchema.optional(),
  applied: AppliedSchema.optional(),
  /** Why the safety kernel held the change back (AlreadyRecovered, Stale, Superseded…), caught from a prepare or apply step. */
  stale: ErrorInfoSchema.optional(),
  /** Why the kernel sent an approved change back to a human right before its call (ApprovalRequired). */
  reapproval: ErrorInfoSchema.optional(),
  progress: ProgressSchema.optional(),
  verification: VerificationSchema.optional(),
  /** What ended the last Await state: the event that resumed it, or its timeout (then a poll). */
  woken: z.union([z.object({ by: z.string(), at: z.string() }), ErrorInfoSchema]).optional(),
  /** The rungs of an escalation ladder left behind. */
  escalation: EscalationHistorySchema.optional(),
  record: RecordedSchema.optional(),
  /** Any error a Task's catch-all caught. */
  error: ErrorInfoSchema.optional(),
  /** The error as the Fail state shows it (Describe … Pass states). */
  failure: z.object({ Error: z.string(), Cause: z.string() }).optional(),
});
export type ExecutionState = z.infer<typeof ExecutionStateSchema>;

export const PlannedStateSchema = ExecutionStateSchema.pick({ incident: true, plan: true });
export type PlannedState = z.infer<typeof PlannedStateSchema>;
