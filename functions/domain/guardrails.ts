import type { Guard, GuardSkipReason } from './guard-schema';
import type { Plan } from './execution-state';
import { type Action, isMutating } from './policy/actions';

export { targetKeysOf } from './targets';

// The guard step: every rule that can hold a mutating action back, in the order it is applied.
//   1. only an action that changes a resource is guarded (telling a human never waits);
//   2. the kill switch;
//   3. the target's circuit breaker (too many failed remediations recently);
//   4. the target's lock (another incident is acting on it) and its cooldown;
//   5. the fleet-wide budget of mutating actions per hour: looked at here, so that an exhausted
//      budget holds the action back before anyone is asked; taken right before the call
//      (aws/preflight.ts), so that only changes spend it.
// The first rule that holds the action back decides. The stores (SSM parameter, DynamoDB guard
// table) are reached through the ports below, so this order is the one place to read it.

export const GUARD_ORDER = ['mutating', 'kill switch', 'circuit breaker', 'lock and cooldown', 'budget'] as const;

export interface GuardSettings {
  tableName: string;
  circuitThreshold: number;
  circuitWindowSeconds: number;
}

/** The guard table's item for one target. */
export interface TargetRecord {
  target: string;
  lockedBy?: string;
  lockState?: 'in-progress' | 'cooldown';
  lockExpiresAt?: number;
  failures?: number[];
  expiresAt?: number;
  /** Set right before a mutating call by the holder (aws/guard-table.ts recordIntent). */
  intentAt?: number;
  intentCall?: string;
  /** The call's input as JSON: a retry of the task makes exactly this call again. */
  intentInput?: string;
  /** What the claim right before the call took besides the lock, for the release to give back. */
  claimed?: Claim;
  /** Set by the workflow when an execution could not record its outcome: a human must look first. */
  heldForReview?: string;
}

/**
 * Longest wait the workflow's retries add before a mutating call goes through (Start Automation
 * with every retrier used up: about 2,055 s, most of it waiting for a concurrency slot). A test
 * computes it from remediation.asl.json and fails if the ASL ever waits longer.
 */
export const APPLY_RETRY_ALLOWANCE_SECONDS = 2100;
/** Slack for Lambda cold starts, timeouts and their retries, and state transitions. */
const LOCK_SLACK_SECONDS = 600;

/** The time a rung spends after its call: the progress loop, then the recovery check. */
export function afterChangeSeconds(plan: Pick<Plan, 'progress' | 'verify'>): number {
  return (
    plan.progress.intervalSeconds * plan.progress.maxPolls +
    plan.verify.intervalSeconds * plan.verify.maxPolls +
    LOCK_SLACK_SECONDS
  );
}

/**
 * How long the lock taken at the guard lives if its execution dies without releasing it: the
 * longest path from the guard to the end of the rung, approval wait included. Each rung takes it
 * again, and the call renews it for the time after the change (recordIntent).
 */
export function lockLifetimeSeconds(plan: Plan): number {
  // Any change may wait for a human: the plan's approval, or one the kernel asks for when it
  // prepares it (the capacity threshold, the blast radius, a target it cannot see). A dry run never.
  const mayWaitForApproval = !plan.dryRun;
  return (
    (mayWaitForApproval ? plan.approval.timeoutSeconds : 0) + APPLY_RETRY_ALLOWANCE_SECONDS + afterChangeSeconds(plan)
  );
}

export function recentFailures(item: TargetRecord | undefined, nowSeconds: number, settings: GuardSettings): number[] {
  return (item?.failures ?? []).filter((at) => at > nowSeconds - settings.circuitWindowSeconds);
}

/** Rule 4: another incident holds the target (in progress or cooling down); an expired hold is free. */
export function heldBy(item: TargetRecord | undefined, incidentId: string, nowSeconds: number): Guard['reason'] {
  if (!item?.lockedBy || item.lockedBy === incidentId || (item.lockExpiresAt ?? 0) <= nowSeconds) return undefined;
  return item.lockState === 'cooldown' ? 'Cooldown' : 'InProgress';
}

/** Rules 3 and 4 on the target's record: why it is held back, if it is. */
export function targetVerdict(
  item: TargetRecord | undefined,
  incidentId: string,
  nowSeconds: number,
  settings: GuardSettings,
): GuardSkipReason | undefined {
  if (item?.heldForReview !== undefined) return 'HeldForReview';
  if (recentFailures(item, nowSeconds, settings).length >= settings.circuitThreshold) return 'CircuitOpen';
  return heldBy(item, incidentId, nowSeconds);
}

export function describeBlock(
  reason: GuardSkipReason,
  item: TargetRecord | undefined,
  target: string,
  settings: GuardSettings,
): string {
  if (reason === 'HeldForReview')
    return `${target} is held for review: ${item?.heldForReview ?? '?'}; a human clears it (docs/operations.md)`;
  if (reason === 'CircuitOpen')
    return `${target}: ${settings.circuitThreshold} failed remediations within ${settings.circuitWindowSeconds} s; circuit open`;
  const until = item?.lockExpiresAt ? new Date(item.lockExpiresAt * 1000).toISOString() : '?';
  return reason === 'Cooldown'
    ? `${target} is cooling down after ${item?.lockedBy ?? '?'} until ${until}`
    : `${target} is being remediated by ${item?.lockedBy ?? '?'} (lock until ${until})`;
}

export type BudgetCheck =
  | { ok: true; detail: string; counted?: BudgetCounted }
  | { ok: false; scope: string; used: number; limit: number; resetsAt: string; detail: string };

/** Which budget counters an action was counted in, and under which id: given back if it changes nothing. */
export interface BudgetCounted {
  keys: string[];
  consumer: string;
  /** When it was first claimed: a retry counts in that hour's counters, not the hour it runs in. */
  at?: string;
}

/** What a claim takes besides the lock: disruption slots per group (their entries) and budget counters. */
export interface Claim {
  disruption?: Record<string, string[]>;
  budget?: BudgetCounted;
}

/** Where the guard's facts live. */
export interface GuardPorts {
  /** Rule 2: the kill switch's current value. */
  killSwitchOn(): Promise<boolean>;
  killSwitchName: string;
  /** Rules 3 and 4: takes the target's lock, or says why not. The precheck runs alongside its first read and wins. */
  lockTarget(precheck: () => Promise<Guard | undefined>): Promise<Guard>;
  /** Rule 5: whether the budget has room for this action (only looks: the call takes it). */
  peekBudget(): Promise<BudgetCheck>;
  /** Gives back a lock rule 5 made useless. */
  releaseUnused(guard: Guard): Promise<void>;
}

/** The guard step, rule by rule. */
export async function evaluateGuard(action: Action | undefined, ports: GuardPorts): Promise<Guard> {
  // Rule 1.
  if (!action || !isMutating(action.type)) {
    return { decision: 'proceed', lockAcquired: false, detail: 'nothing to guard: the action changes no resource' };
  }
  // Rule 2, read alongside rules 3 and 4 (one round trip); it decides before anything is written.
  const killSwitch = async (): Promise<Guard | undefined> =>
    (await ports.killSwitchOn())
      ? {
          decision: 'skip',
          reason: 'Paused',
          lockAcquired: false,
          detail: `kill switch ${ports.killSwitchName} is on: nothing mutates`,
        }
      : undefined;
  const guard = await ports.lockTarget(killSwitch);
  if (guard.decision === 'skip') return guard;
  // Rule 5.
  const budget = await ports.peekBudget();
  if (!budget.ok) {
    if (guard.lockAcquired) await ports.releaseUnused(guard);
    return {
      decision: 'skip',
      reason: 'BudgetExhausted',
      ...(guard.targetKey ? { targetKey: guard.targetKey } : {}),
      ...(guard.targetKeys ? { targetKeys: guard.targetKeys } : {}),
      lockAcquired: false,
      detail: budget.detail,
      budget: { scope: budget.scope, used: budget.used, limit: budget.limit, resetsAt: budget.resetsAt },
    };
  }
  // The workflow counts how often the change is prepared again (a human asked again) in `round`.
  return { ...guard, detail: `${guard.detail}; ${budget.detail}`, round: { n: 0 } };
}
