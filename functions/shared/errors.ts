// Named errors: the state machine's Retry/Catch match on `name`, so never rename one
// without updating statemachines/remediation.asl.json.

abstract class NamedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The inbound event as a whole cannot be used (not an SNS / EventBridge event). Lambda retries, then dead-letters it. */
export class InvalidEventError extends NamedError {}
/** Workflow input or configuration that cannot be acted on. Not retried. */
export class InvalidInputError extends NamedError {}
/** The remediation policy failed validation at load. Not retried. */
export class InvalidPolicyError extends NamedError {}
/** AWS throttled the call after the SDK's own retries. Retried by the state machine with backoff. */
export class AwsThrottledError extends NamedError {}
/** AWS answered 5xx or the connection failed. Retried by the state machine with backoff. */
export class AwsTransientError extends NamedError {}
/** Auto Scaling refused because a scaling activity is in progress. Retried. */
export class ScalingActivityInProgress extends NamedError {}
/** The platform already runs its ceiling of SSM automations. Retried with a long backoff. */
export class AutomationConcurrencyLimit extends NamedError {}
/** The resource the action targets does not exist (ASG, instance, deployment group). Not retried. */
export class TargetNotFoundError extends NamedError {}
/** CodeDeploy has no earlier successful revision to roll back to. Not retried. */
export class NoRollbackTargetError extends NamedError {}
/** The remediation action ran and ended badly (deployment failed, automation failed). Not retried. */
export class ActionFailedError extends NamedError {}

export function assertIsError(value: unknown): asserts value is Error {
  if (!(value instanceof Error)) {
    throw new Error(`Unexpected non-error thrown: ${String(value)}`);
  }
}

// Skips decided right before a mutating call; the state machine catches both into "Record Skip".
/** The triggering alarm is back to OK: the incident recovered while it waited (lock, approval, retry). Reason AlreadyRecovered. */
export class AlreadyRecovered extends NamedError {}
/** The incident is older than its maximum age: acting now would act on stale information. Reason Stale. */
export class Stale extends NamedError {}
