import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { callAws, toNamedAwsError } from './aws-errors';
import { dynamoDb } from './clients/dynamodb';
import type { Plan } from '../domain/execution-state';
import {
  type GuardSettings,
  type TargetRecord,
  describeBlock,
  heldBy,
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
  incidentId: string,
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
  const blocked = targetVerdict(item, incidentId, nowSeconds, settings);
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
        UpdateExpression: 'SET lockedBy = :me, lockState = :inProgress, lockExpiresAt = :lockUntil, expiresAt = :ttl',
        ConditionExpression: 'attribute_not_exists(lockExpiresAt) OR lockExpiresAt <= :now OR lockedBy = :me',
        ExpressionAttributeValues: {
          ':me': incidentId,
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
    const reason = heldBy(winner, incidentId, nowSeconds) ?? 'InProgress';
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
    detail: `locked ${target} until ${new Date(lockUntil * 1000).toISOString()}`,
  };
}

/**
 * Ends this incident's hold on its target: after an action (succeeded or not) the lock becomes
 * the cooldown; a failure also counts towards the circuit breaker; without an action (a no-op)
 * the lock is simply dropped. Only the holder can release.
 */
export async function release(
  settings: GuardSettings,
  incidentId: string,
  guard: Guard,
  outcome: { acted: boolean; failed: boolean; cooldownSeconds: number },
  now: Date,
): Promise<Release> {
  if (!guard.lockAcquired || !guard.targetKey) return { released: false, circuitOpened: false, detail: 'no lock held' };
  const target = guard.targetKey;
  const nowSeconds = seconds(now);
  const cooldownUntil = nowSeconds + outcome.cooldownSeconds;
  const update = !outcome.acted
    ? { expression: 'REMOVE lockedBy, lockState, lockExpiresAt', values: { ':me': incidentId } }
    : outcome.failed
      ? {
          expression:
            'SET lockState = :cooldown, lockExpiresAt = :until, expiresAt = :ttl, failures = list_append(if_not_exists(failures, :none), :failure)',
          values: {
            ':me': incidentId,
            ':cooldown': 'cooldown',
            ':until': cooldownUntil,
            ':ttl': Math.max(cooldownUntil, nowSeconds + settings.circuitWindowSeconds),
            ':none': [],
            ':failure': [nowSeconds],
          },
        }
      : {
          expression: 'SET lockState = :cooldown, lockExpiresAt = :until, expiresAt = if_not_exists(expiresAt, :until)',
          values: { ':me': incidentId, ':cooldown': 'cooldown', ':until': cooldownUntil },
        };
  try {
    const out = await dynamoDb.send(
      new UpdateCommand({
        TableName: settings.tableName,
        Key: { target },
        UpdateExpression: update.expression,
        ConditionExpression: 'lockedBy = :me',
        ExpressionAttributeValues: update.values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    const failures = recentFailures(out.Attributes as TargetRecord | undefined, nowSeconds, settings);
    const circuitOpened = outcome.failed && failures.length >= settings.circuitThreshold;
    const what = !outcome.acted
      ? `released ${target}`
      : `${target} cooling down until ${new Date(cooldownUntil * 1000).toISOString()}`;
    return {
      released: true,
      circuitOpened,
      detail: circuitOpened ? `${what}; circuit opened after ${failures.length} failures` : what,
    };
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') {
      return {
        released: false,
        circuitOpened: false,
        detail: `${target} is no longer held by this incident (lock expired)`,
      };
    }
    throw toNamedAwsError(error, 'DynamoDB.UpdateItem');
  }
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
