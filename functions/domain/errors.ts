// Named errors: the state machine's Retry/Catch match on `name`, so never rename one
// without updating statemachines/remediation.asl.json.
// Each class states its name as a string literal on its prototype: the bundles are minified,
// which renames classes, so `new.target.name` would ship as e.g. "Wd" and no Retry/Catch would
// match (test/artifact checks the built bundles). On the prototype, V8 already uses it for the
// stack header at construction.

abstract class NamedError extends Error {}

/** The inbound event as a whole cannot be used (not an SNS / EventBridge event). Lambda retries, then dead-letters it. */
export class InvalidEventError extends NamedError {
  static {
    this.prototype.name = 'InvalidEventError';
  }
}
/** Workflow input or configuration that cannot be acted on. Not retried. */
export class InvalidInputError extends NamedError {
  static {
    this.prototype.name = 'InvalidInputError';
  }
}
/** The remediation policy failed validation at load. Not retried. */
export class InvalidPolicyError extends NamedError {
  static {
    this.prototype.name = 'InvalidPolicyError';
  }
}
/** AWS throttled the call after the SDK's own retries. Retried by the state machine with backoff. */
export class AwsThrottledError extends NamedError {
  static {
    this.prototype.name = 'AwsThrottledError';
  }
}
/** AWS answered 5xx or the connection failed. Retried by the state machine with backoff. */
export class AwsTransientError extends NamedError {
  static {
    this.prototype.name = 'AwsTransientError';
  }
}
/** Auto Scaling refused because a scaling activity is in progress. Retried. */
export class ScalingActivityInProgress extends NamedError {
  static {
    this.prototype.name = 'ScalingActivityInProgress';
  }
}
/** The platform already runs its ceiling of SSM automations. Retried with a long backoff. */
export class AutomationConcurrencyLimit extends NamedError {
  static {
    this.prototype.name = 'AutomationConcurrencyLimit';
  }
}
/** The resource the action targets does not exist (ASG, instance, deployment group). Not retried. */
export class TargetNotFoundError extends NamedError {
  static {
    this.prototype.name = 'TargetNotFoundError';
  }
}
/** The target does not carry selfhealing:managed=true, checked in code where IAM cannot (StopDeployment). Not retried. */
export class TargetNotManagedError extends NamedError {
  static {
    this.prototype.name = 'TargetNotManagedError';
  }
}
/** CodeDeploy has no earlier successful revision to roll back to. Not retried. */
export class NoRollbackTargetError extends NamedError {
  static {
    this.prototype.name = 'NoRollbackTargetError';
  }
}
/** The remediation action ran and ended badly (deployment failed, automation failed). Not retried. */
export class ActionFailedError extends NamedError {
  static {
    this.prototype.name = 'ActionFailedError';
  }
}

export function assertIsError(value: unknown): asserts value is Error {
  if (!(value instanceof Error)) {
    throw new Error(`Unexpected non-error thrown: ${String(value)}`);
  }
}

// Skips decided right before a mutating call; the state machine catches both into "Record Skip".
/** The triggering alarm is back to OK: the incident recovered while it waited (lock, approval, retry). Reason AlreadyRecovered. */
export class AlreadyRecovered extends NamedError {
  static {
    this.prototype.name = 'AlreadyRecovered';
  }
}
/** The incident is older than its maximum age: acting now would act on stale information. Reason Stale. */
export class Stale extends NamedError {
  static {
    this.prototype.name = 'Stale';
  }
}
/** The kill switch was on right before the mutating call (set while the execution waited). Reason Paused. */
export class Paused extends NamedError {
  static {
    this.prototype.name = 'Paused';
  }
}
/** This execution no longer holds the target's lock (it expired, or another execution holds it). Reason LockLost. */
export class LockLost extends NamedError {
  static {
    this.prototype.name = 'LockLost';
  }
}
/** Right before the call, the target has already moved past the prepared change (e.g. raised further by someone else while the execution waited for approval). Reason NoLongerNeeded. */
export class NoLongerNeeded extends NamedError {
  static {
    this.prototype.name = 'NoLongerNeeded';
  }
}
/** Right before the call, the alarm reads INSUFFICIENT_DATA (or anything but ALARM) and the action is not a pure scale-out. Reason NotInAlarm. */
export class NotInAlarm extends NamedError {
  static {
    this.prototype.name = 'NotInAlarm';
  }
}
/** Someone deployed since the rollback was prepared: the deployment it would roll back is no longer the live one. Reason Superseded. */
export class Superseded extends NamedError {
  static {
    this.prototype.name = 'Superseded';
  }
}
/** The action's target is not one the incident names by identity (or the rule allows). Reason TargetNotNamedByAlarm. */
export class TargetNotNamedByAlarm extends NamedError {
  static {
    this.prototype.name = 'TargetNotNamedByAlarm';
  }
}
/** A runbook or runbook parameter value came from alarm text the policy does not allow. Reason ParameterNotAllowed. */
export class ParameterNotAllowed extends NamedError {
  static {
    this.prototype.name = 'ParameterNotAllowed';
  }
}
/** The hour's remediation budget was used up by the time of the call. Reason BudgetExhausted (pages). */
export class BudgetExhausted extends NamedError {
  static {
    this.prototype.name = 'BudgetExhausted';
  }
}
/** Between the pre-flight read and the claim the target changed (the call would differ): the workflow prepares the change again. */
export class TargetChanged extends NamedError {
  static {
    this.prototype.name = 'TargetChanged';
  }
}
/** Right before the call, the change needs a human it does not have (it grew, more is in flight): the workflow prepares it again and asks. */
export class ApprovalRequired extends NamedError {
  static {
    this.prototype.name = 'ApprovalRequired';
  }
}

const STOPS = {
  Paused,
  Stale,
  AlreadyRecovered,
  NotInAlarm,
  NoLongerNeeded,
  Superseded,
  TargetNotNamedByAlarm,
  ParameterNotAllowed,
  BudgetExhausted,
} as const;

/** The errors the workflow records as a skip, by the reason they carry (one list: the ASL's Catch lists are checked against it). */
export const SKIP_ERRORS = Object.keys(STOPS) as (keyof typeof STOPS)[];

/** What an apply step throws to have the workflow prepare its change again (and ask a human, if it needs one). */
export const PREPARE_AGAIN_ERRORS = [ApprovalRequired.prototype.name, TargetChanged.prototype.name];

/** The named error for a reason the kernel stopped a change for. */
export function skipError(reason: keyof typeof STOPS, why: string): Error {
  return new STOPS[reason](why);
}
