import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { callAws, toNamedAwsError } from './aws-errors';
import { LockLost } from '../domain/errors';
import { dynamoDb } from './clients/dynamodb';
import type { Plan } from '../domain/execution-state';
import {
  type GuardSettings,
  type TargetRecord,
  describeBlock,
  lockLifetimeSeconds,
  recentFailures,
  targetKeyOf,
  targetVerdict,
} from '../domain/guardrails';

// The guard table: one in-flight remediation per target, a cooldown after it, and a circuit
// breaker on repeated failures, all in one DynamoDB item per target with conditional writes (a
// second writer loses the condition, never the race). The rules themselves: domain/guardrails.ts.

export { type GuardSettings, lockLifetimeSeconds, targetKeyOf };
export { type Guard, GuardSchema, type GuardSkipReason, GuardSkipReasonSchema } from '../domain/guard-schema';
import type { Guard, Release } from '../domain/guard-schema';

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

async function readItem(settings: GuardSettings, target: string): Promise<TargetRecord | undefined> {
  const out = await callAws('DynamoDB.GetItem', () =>
    dynamoDb.send(new GetCommand({ TableName: settings.tableName, Key: { target }, ConsistentRead: true })),
  );
  return out.Item as TargetRecord | undefined;
}

/** A check that may hold the action back before any lock is taken (the kill switch). */
export type Precheck = () => Promise<Guard | undefined>;

/**
 * Takes the target's lock for this incident, or says why not. Retry-safe: the same incident
 * re-acquiring its own lock succeeds. A dry run only reads: it reports what would block it.
 * `precheck` runs alongside the read of the target's item (one round trip instead of two before
 * the first write); when it holds the action back, its answer wins and nothing is written.
 */
export async function acquire(
  settings: GuardSettings,
  owner: string,
  plan: Plan,
  now: Date,
  precheck: Precheck = () => Promise.resolve(undefined),
): Promise<Guard> {
  const action = plan.action;
  const target = action ? targetKeyOf(action) : undefined;
  if (!target)
    return (
      (await precheck()) ?? {
        decision: 'proceed',
        lockAcquired: false,
        detail: 'nothing to lock: the action changes no resource',
      }
    );
  const nowSeconds = seconds(now);
  const [held, read] = await Promise.allSettled([precheck(), readItem(settings, target)]);
  if (held.status === 'rejected') throw held.reason as Error;
  if (held.value) return held.value;
  if (read.status === 'rejected') throw read.reason as Error;
  const item = read.value;
  const failures = recentFailures(item, nowSeconds, settings);
  const blocked = targetVerdict(item, owner, nowSeconds, settings);
  if (blocked)
    return {
      decision: 'skip',
      reason: blocked,
      targetKey: target,
      lockAcquired: false,
      detail: describeBlock(blocked, item, target, settings),
    };
  if (plan.dryRun)
    return {
      decision: 'proceed',
      targetKey: target,
      lockAcquired: false,
      detail: `dry run: ${target} is free; no lock taken`,
    };

  const lockUntil = nowSeconds + lockLifetimeSeconds(plan);
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: settings.tableName,
        Key: { target },
        // A new hold starts with no intent recorded (see recordIntent).
        UpdateExpression:
          'SET lockedBy = :me, lockState = :inProgress, lockExpiresAt = :lockUntil, expiresAt = :ttl REMOVE intentAt, intentCall',
        // A target held for review stays untouched until a human clears it.
        ConditionExpression:
          'attribute_not_exists(heldForReview) AND (attribute_not_exists(lockExpiresAt) OR lockExpiresAt <= :now OR lockedBy = :me)',
        ExpressionAttributeValues: {
          ':me': owner,
          ':inProgress': 'in-progress',
          ':lockUntil': lockUntil,
          ':ttl': Math.max(lockUntil, (failures.at(-1) ?? 0) + settings.circuitWindowSeconds),
          ':now': nowSeconds,
        },
      }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException'))
      throw toNamedAwsError(error, 'DynamoDB.UpdateItem');
    // Someone took it between our read and our write: report who.
    const winner = await readItem(settings, target);
    const reason = targetVerdict(winner, owner, nowSeconds, settings) ?? 'InProgress';
    return {
      decision: 'skip',
      reason,
      targetKey: target,
      lockAcquired: false,
      detail: describeBlock(reason, winner, target, settings),
    };
  }
  return {
    decision: 'proceed',
    targetKey: target,
    lockAcquired: true,
    owner,
    detail: `locked ${target} until ${new Date(lockUntil * 1000).toISOString()}`,
  };
}

/**
 * Right before a mutating call: proves this execution still holds the target's lock (in progress,
 * not expired) and records that a change is being made, in one conditional write. From then on
 * every exit path counts the change (cooldown, circuit breaker), even when the task fails after its
 * call went through. Throws LockLost when the lock is gone.
 */
export async function recordIntent(
  settings: GuardSettings,
  owner: string,
  target: string,
  operation: string,
  now: Date,
  holdSeconds: number,
): Promise<void> {
  const nowSeconds = seconds(now);
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: settings.tableName,
        Key: { target },
        // The hold is renewed for what follows the change (progress, recovery check).
        UpdateExpression: 'SET intentAt = :now, intentCall = :operation, lockExpiresAt = :renewed',
        ConditionExpression: 'lockedBy = :me AND lockState = :inProgress AND lockExpiresAt > :now',
        ExpressionAttributeValues: {
          ':me': owner,
          ':inProgress': 'in-progress',
          ':now': nowSeconds,
          ':operation': operation,
          ':renewed': nowSeconds + holdSeconds,
        },
      }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException'))
      throw toNamedAwsError(error, 'DynamoDB.UpdateItem');
    const item = await readItem(settings, target);
    const holder =
      item?.lockedBy === undefined
        ? 'nobody holds it'
        : item.lockedBy === owner
          ? `its hold is ${item.lockState ?? '?'} until ${new Date((item.lockExpiresAt ?? 0) * 1000).toISOString()}`
          : `${item.lockedBy} holds it (${item.lockState ?? '?'})`;
    throw new LockLost(`${owner} no longer holds the lock on ${target}: ${holder}. Not calling ${operation}.`);
  }
}

/**
 * Ends this incident's hold on its target: after an action (succeeded or not) the lock becomes
 * the cooldown; a failure also counts towards the circuit breaker; without an action (a no-op)
 * the lock is simply dropped. Only the holder can release.
 */
export async function release(
  settings: GuardSettings,
  owner: string,
  guard: Guard,
  outcome: { acted: boolean; failed: boolean; cooldownSeconds: number },
  now: Date,
): Promise<Release> {
  if (!guard.lockAcquired || !guard.targetKey) return { released: false, circuitOpened: false, detail: 'no lock held' };
  const target = guard.targetKey;
  try {
    if (!outcome.acted) {
      // Nothing changed as far as the workflow knows: drop the lock, unless a change was started
      // (its intent recorded) and the task failed before it could say so.
      try {
        await update(
          settings,
          target,
          'REMOVE lockedBy, lockState, lockExpiresAt',
          { ':me': owner },
          'attribute_not_exists(intentAt)',
        );
        return { released: true, circuitOpened: false, detail: `released ${target}` };
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
        const item = await readItem(settings, target);
        if (item?.lockedBy !== owner || item.intentAt === undefined) throw error;
        const started = item.intentCall ?? 'a change';
        const cooled = await coolDown(
          settings,
          owner,
          target,
          outcome,
          now,
          `${started} was started before the task ended`,
        );
        return { ...cooled, changeStarted: started };
      }
    }
    return await coolDown(settings, owner, target, outcome, now);
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') {
      return {
        released: false,
        circuitOpened: false,
        detail: `${target} is no longer held by this execution (lock expired)`,
      };
    }
    throw toNamedAwsError(error, 'DynamoDB.UpdateItem');
  }
}

/** After a change (succeeded or not) the lock becomes the cooldown; a failure also counts towards the circuit breaker. */
async function coolDown(
  settings: GuardSettings,
  owner: string,
  target: string,
  outcome: { failed: boolean; cooldownSeconds: number },
  now: Date,
  why?: string,
): Promise<Release> {
  const nowSeconds = seconds(now);
  const cooldownUntil = nowSeconds + outcome.cooldownSeconds;
  // The item outlives both the cooldown and the breaker's window (TTL deletes it after both).
  const ttl = Math.max(cooldownUntil, nowSeconds + settings.circuitWindowSeconds);
  const attributes = outcome.failed
    ? await update(
        settings,
        target,
        'SET lockState = :cooldown, lockExpiresAt = :until, expiresAt = :ttl, failures = list_append(if_not_exists(failures, :none), :failure)',
        {
          ':me': owner,
          ':cooldown': 'cooldown',
          ':until': cooldownUntil,
          ':ttl': ttl,
          ':none': [],
          ':failure': [nowSeconds],
        },
      )
    : await update(settings, target, 'SET lockState = :cooldown, lockExpiresAt = :until, expiresAt = :ttl', {
        ':me': owner,
        ':cooldown': 'cooldown',
        ':until': cooldownUntil,
        ':ttl': ttl,
      });
  const failures = recentFailures(attributes, nowSeconds, settings);
  const circuitOpened = outcome.failed && failures.length >= settings.circuitThreshold;
  const what = `${target} cooling down until ${new Date(cooldownUntil * 1000).toISOString()}${why ? ` (${why})` : ''}`;
  return {
    released: true,
    circuitOpened,
    detail: circuitOpened ? `${what}; circuit opened after ${failures.length} failures` : what,
  };
}

/** A conditional update of the target's item by its holder; returns the item as written. */
async function update(
  settings: GuardSettings,
  target: string,
  expression: string,
  values: Record<string, unknown>,
  alsoRequire?: string,
): Promise<TargetRecord | undefined> {
  const out = await dynamoDb.send(
    new UpdateCommand({
      TableName: settings.tableName,
      Key: { target },
      UpdateExpression: expression,
      ConditionExpression: alsoRequire ? `lockedBy = :me AND ${alsoRequire}` : 'lockedBy = :me',
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    }),
  );
  return out.Attributes as TargetRecord | undefined;
}

/** Guard settings from the function's environment (template: GuardTable, CircuitBreaker* parameters). */
export function guardSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): GuardSettings {
  const tableName = env.GUARD_TABLE_NAME;
  if (!tableName) throw new Error('Missing required environment variable GUARD_TABLE_NAME');
  return {
    tableName,
    circuitThreshold: Number(env.CIRCUIT_BREAKER_THRESHOLD ?? 3),
    circuitWindowSeconds: Number(env.CIRCUIT_BREAKER_WINDOW_SECONDS ?? 3600),
  };
}
