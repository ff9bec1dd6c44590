import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { callAws, toNamedAwsError } from './aws-errors';
import { LockLost } from '../domain/errors';
import { dynamoDb } from './clients/dynamodb';
import type { Plan } from '../domain/execution-state';
import {
  type Claim,
  type GuardSettings,
  type TargetRecord,
  describeBlock,
  lockLifetimeSeconds,
  recentFailures,
  targetVerdict,
} from '../domain/guardrails';
import { targetKeysOf } from '../domain/targets';
import type { Call } from '../domain/safety-kernel';

// The guard table: one in-flight remediation per physical target, a cooldown after it, and a
// circuit breaker on repeated failures, in one DynamoDB item per target with conditional writes (a
// second writer loses the condition, never the race). An action over several targets (a runbook
// over N instances) takes all their locks, in sorted order, or none. The rules themselves:
// domain/guardrails.ts.

export { type GuardSettings, lockLifetimeSeconds };
export { type Guard, GuardSchema, type GuardSkipReason, GuardSkipReasonSchema } from '../domain/guard-schema';
import { type Guard, type Release, lockKeysOf } from '../domain/guard-schema';
import { settleAll } from '../platform/settle';

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
const conditionFailed = (error: unknown) => error instanceof Error && error.name === 'ConditionalCheckFailedException';

export async function readItem(settings: GuardSettings, target: string): Promise<TargetRecord | undefined> {
  const out = await callAws('DynamoDB.GetItem', () =>
    dynamoDb.send(new GetCommand({ TableName: settings.tableName, Key: { target }, ConsistentRead: true })),
  );
  return out.Item as TargetRecord | undefined;
}

/** A check that may hold the action back before any lock is taken (the kill switch). */
export type Precheck = () => Promise<Guard | undefined>;

/** Takes one target's lock for `owner`; false when another holder won the race since the read. */
async function take(
  settings: GuardSettings,
  target: string,
  owner: string,
  lockUntil: number,
  ttl: number,
  now: number,
): Promise<boolean> {
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: settings.tableName,
        Key: { target },
        // A new hold starts with no intent recorded (see recordIntent).
        UpdateExpression:
          'SET lockedBy = :me, lockState = :inProgress, lockExpiresAt = :lockUntil, expiresAt = :ttl REMOVE intentAt, intentCall, intentInput, claimed',
        // A target held for review stays untouched until a human clears it.
        ConditionExpression:
          'attribute_not_exists(heldForReview) AND (attribute_not_exists(lockExpiresAt) OR lockExpiresAt <= :now OR lockedBy = :me)',
        ExpressionAttributeValues: {
          ':me': owner,
          ':inProgress': 'in-progress',
          ':lockUntil': lockUntil,
          ':ttl': ttl,
          ':now': now,
        },
      }),
    );
    return true;
  } catch (error) {
    if (!conditionFailed(error)) throw toNamedAwsError(error, 'DynamoDB.UpdateItem');
    return false;
  }
}

/**
 * Takes every target's lock for this execution, or none, or says why not. Retry-safe: the same
 * execution re-acquiring its own locks succeeds. A dry run only reads: it reports what would block
 * it. `precheck` runs alongside the reads (one round trip before the first write); when it holds
 * the action back, its answer wins and nothing is written.
 */
export async function acquire(
  settings: GuardSettings,
  owner: string,
  plan: Plan,
  now: Date,
  precheck: Precheck = () => Promise.resolve(undefined),
): Promise<Guard> {
  const keys = plan.action ? targetKeysOf(plan.action) : [];
  if (keys.length === 0)
    return (
      (await precheck()) ?? {
        decision: 'proceed',
        lockAcquired: false,
        detail: 'nothing to lock: the action changes no resource',
      }
    );
  const locked = { targetKey: keys[0], targetKeys: keys };
  const nowSeconds = seconds(now);
  const [held, ...reads] = await Promise.allSettled([precheck(), ...keys.map((key) => readItem(settings, key))]);
  if (held?.status === 'rejected') throw held.reason as Error;
  if (held?.status === 'fulfilled' && held.value) return held.value;
  const items = reads.map((read) => {
    if (read.status === 'rejected') throw read.reason as Error;
    return read.value;
  });
  const blocked = (target: string, item: TargetRecord | undefined): Guard | undefined => {
    const reason = targetVerdict(item, owner, nowSeconds, settings);
    return reason
      ? {
          decision: 'skip',
          reason,
          ...locked,
          lockAcquired: false,
          detail: describeBlock(reason, item, target, settings),
        }
      : undefined;
  };
  for (const [index, key] of keys.entries()) {
    const block = blocked(key, items[index]);
    if (block) return block;
  }
  if (plan.dryRun)
    return {
      decision: 'proceed',
      ...locked,
      lockAcquired: false,
      detail: `dry run: ${keys.join(', ')} free; no lock taken`,
    };

  const lockUntil = nowSeconds + lockLifetimeSeconds(plan);
  const taken: string[] = [];
  for (const [index, key] of keys.entries()) {
    const failures = recentFailures(items[index], nowSeconds, settings);
    const ttl = Math.max(lockUntil, (failures.at(-1) ?? 0) + settings.circuitWindowSeconds);
    if (await take(settings, key, owner, lockUntil, ttl, nowSeconds)) {
      taken.push(key);
      continue;
    }
    // Someone took it between our read and our write: give back what this attempt took, report who.
    await settleAll(taken.map((target) => dropUnused(settings, owner, target)));
    const winner = await readItem(settings, key);
    return (
      blocked(key, winner) ?? {
        decision: 'skip',
        reason: 'InProgress',
        ...locked,
        lockAcquired: false,
        detail: describeBlock('InProgress', winner, key, settings),
      }
    );
  }
  return {
    decision: 'proceed',
    ...locked,
    lockAcquired: true,
    owner,
    detail: `locked ${keys.join(', ')} until ${new Date(lockUntil * 1000).toISOString()}`,
  };
}

/** Drops a lock this execution took and made no change under (conditional: nothing started). */
async function dropUnused(settings: GuardSettings, owner: string, target: string): Promise<void> {
  await update(
    settings,
    target,
    'REMOVE lockedBy, lockState, lockExpiresAt',
    { ':me': owner, ':inProgress': 'in-progress' },
    'attribute_not_exists(intentAt)',
  ).catch((error: unknown) => {
    if (!conditionFailed(error)) throw toNamedAwsError(error, 'DynamoDB.UpdateItem');
  });
}

/** The call an earlier attempt of this execution recorded on the target right before making it, if any. */
export function claimedCallOf(item: TargetRecord | undefined, owner: string): Call | undefined {
  if (item?.lockedBy !== owner || item.lockState !== 'in-progress' || !item.intentCall || !item.intentInput)
    return undefined;
  try {
    return { operation: item.intentCall, input: JSON.parse(item.intentInput) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

/**
 * Right before a mutating call: proves this execution still holds every target's lock (in progress,
 * not expired) and records the exact call it is making, one conditional write per target. From then
 * on every exit path counts the change (cooldown, circuit breaker), even when the task fails after
 * its call went through, and a retry of the task makes this call again, never another. The first
 * target's item also keeps what the claim took (disruption slots, budget counters) for the release.
 * Throws LockLost when a lock is gone.
 */
export async function recordIntent(
  settings: GuardSettings,
  owner: string,
  keys: string[],
  call: Call,
  now: Date,
  holdSeconds: number,
  claim: Claim,
): Promise<void> {
  const nowSeconds = seconds(now);
  for (const [index, target] of keys.entries()) {
    try {
      await dynamoDb.send(
        new UpdateCommand({
          TableName: settings.tableName,
          Key: { target },
          // The hold is renewed for what follows the change (progress, recovery check).
          UpdateExpression: `SET intentAt = :now, intentCall = :operation, intentInput = :input, lockExpiresAt = :renewed${index === 0 ? ', claimed = :claim' : ''}`,
          ConditionExpression: 'lockedBy = :me AND lockState = :inProgress AND lockExpiresAt > :now',
          ExpressionAttributeValues: {
            ':me': owner,
            ':inProgress': 'in-progress',
            ':now': nowSeconds,
            ':operation': call.operation,
            ':input': JSON.stringify(call.input),
            ':renewed': nowSeconds + holdSeconds,
            ...(index === 0 ? { ':claim': claim } : {}),
          },
        }),
      );
    } catch (error) {
      if (!conditionFailed(error)) throw toNamedAwsError(error, 'DynamoDB.UpdateItem');
      const item = await readItem(settings, target);
      const holder =
        item?.lockedBy === undefined
          ? 'nobody holds it'
          : item.lockedBy === owner
            ? `its hold is ${item.lockState ?? '?'} until ${new Date((item.lockExpiresAt ?? 0) * 1000).toISOString()}`
            : `${item.lockedBy} holds it (${item.lockState ?? '?'})`;
      throw new LockLost(`${owner} no longer holds the lock on ${target}: ${holder}. Not calling ${call.operation}.`);
    }
  }
}

/**
 * The call was refused by AWS before it changed anything (a 4xx answer), or the claim could not be
 * completed (no budget, no room in the blast radius): the intent is taken back, so that nothing
 * counts it as a change. Only what this execution recorded, on targets it still holds.
 */
export async function withdrawIntent(settings: GuardSettings, owner: string, keys: string[]): Promise<void> {
  await settleAll(
    keys.map((target) =>
      update(settings, target, 'REMOVE intentAt, intentCall, intentInput, claimed', {
        ':me': owner,
        ':inProgress': 'in-progress',
      }).catch((error: unknown) => {
        if (!conditionFailed(error)) throw toNamedAwsError(error, 'DynamoDB.UpdateItem');
      }),
    ),
  );
}

/**
 * Ends this execution's hold on its targets: after an action (succeeded or not) each lock becomes
 * the cooldown; a failure also counts towards the circuit breaker; without a change (a no-op, a
 * skip) the lock is simply dropped. Only a hold still in progress is released, so a retried release
 * counts nothing twice, and the cooldown an earlier rung of the same execution left is kept. What
 * the claim took is returned (`claim`) for the caller to give back.
 */
export async function release(
  settings: GuardSettings,
  owner: string,
  guard: Pick<Guard, 'lockAcquired' | 'targetKey' | 'targetKeys'>,
  outcome: { acted: boolean; failed: boolean; cooldownSeconds: number },
  now: Date,
): Promise<Release & { claim?: Claim }> {
  const keys = lockKeysOf(guard);
  if (!guard.lockAcquired || keys.length === 0)
    return { released: false, circuitOpened: false, detail: 'no lock held' };
  const results = await settleAll(keys.map((target) => releaseOne(settings, owner, target, outcome, now)));
  const released = results.filter((r) => r.released);
  const started = results.find((r) => r.changeStarted)?.changeStarted;
  const claim = results.find((r) => r.claim)?.claim;
  return {
    released: released.length > 0,
    circuitOpened: results.some((r) => r.circuitOpened),
    detail: results.map((r) => r.detail).join('; '),
    ...(started ? { changeStarted: started } : {}),
    ...(claim ? { claim } : {}),
  };
}

async function releaseOne(
  settings: GuardSettings,
  owner: string,
  target: string,
  outcome: { acted: boolean; failed: boolean; cooldownSeconds: number },
  now: Date,
): Promise<Release & { claim?: Claim }> {
  try {
    if (!outcome.acted) {
      // Nothing changed as far as the workflow knows: drop the lock, unless a change was started
      // (its intent recorded) and the task failed before it could say so.
      try {
        const old = await update(
          settings,
          target,
          'REMOVE lockedBy, lockState, lockExpiresAt, claimed',
          { ':me': owner, ':inProgress': 'in-progress' },
          'attribute_not_exists(intentAt)',
          'ALL_OLD',
        );
        return {
          released: true,
          circuitOpened: false,
          detail: `released ${target}`,
          ...(old?.claimed ? { claim: old.claimed } : {}),
        };
      } catch (error) {
        if (!conditionFailed(error)) throw error;
        const item = await readItem(settings, target);
        if (item?.lockedBy !== owner || item.lockState !== 'in-progress' || item.intentAt === undefined) throw error;
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
    if (!conditionFailed(error)) throw toNamedAwsError(error, 'DynamoDB.UpdateItem');
    return alreadyReleased(settings, owner, target, outcome, now);
  }
}

/**
 * The hold was not this execution's any more. When an earlier attempt of the same release turned it
 * into the cooldown (the recording step retried after a timeout), say what that attempt found, so
 * that the record of the last attempt counts the change and the breaker as the first did.
 */
async function alreadyReleased(
  settings: GuardSettings,
  owner: string,
  target: string,
  outcome: { failed: boolean },
  now: Date,
): Promise<Release> {
  const item = await readItem(settings, target);
  if (item?.lockedBy === owner && item.lockState === 'cooldown') {
    const failures = recentFailures(item, seconds(now), settings);
    return {
      released: true,
      circuitOpened: outcome.failed && failures.length >= settings.circuitThreshold,
      detail: `${target} cooling down until ${new Date((item.lockExpiresAt ?? 0) * 1000).toISOString()} (released by an earlier attempt)`,
      ...(item.intentAt !== undefined ? { changeStarted: item.intentCall ?? 'a change' } : {}),
    };
  }
  return {
    released: false,
    circuitOpened: false,
    detail: `${target} is no longer held by this execution (its lock expired, or it was never taken)`,
  };
}

/** After a change (succeeded or not) the lock becomes the cooldown; a failure also counts towards the circuit breaker. */
async function coolDown(
  settings: GuardSettings,
  owner: string,
  target: string,
  outcome: { failed: boolean; cooldownSeconds: number },
  now: Date,
  why?: string,
): Promise<Release & { claim?: Claim }> {
  const nowSeconds = seconds(now);
  const cooldownUntil = nowSeconds + outcome.cooldownSeconds;
  // The item outlives both the cooldown and the breaker's window (TTL deletes it after both).
  const ttl = Math.max(cooldownUntil, nowSeconds + settings.circuitWindowSeconds);
  const common = {
    ':me': owner,
    ':inProgress': 'in-progress',
    ':cooldown': 'cooldown',
    ':until': cooldownUntil,
    ':ttl': ttl,
  };
  const attributes = outcome.failed
    ? await update(
        settings,
        target,
        'SET lockState = :cooldown, lockExpiresAt = :until, expiresAt = :ttl, failures = list_append(if_not_exists(failures, :none), :failure) REMOVE claimed',
        { ...common, ':none': [], ':failure': [nowSeconds] },
        undefined,
        'ALL_OLD',
      )
    : await update(
        settings,
        target,
        'SET lockState = :cooldown, lockExpiresAt = :until, expiresAt = :ttl REMOVE claimed',
        common,
        undefined,
        'ALL_OLD',
      );
  const failures = [...recentFailures(attributes, nowSeconds, settings), ...(outcome.failed ? [nowSeconds] : [])];
  const circuitOpened = outcome.failed && failures.length >= settings.circuitThreshold;
  const what = `${target} cooling down until ${new Date(cooldownUntil * 1000).toISOString()}${why ? ` (${why})` : ''}`;
  return {
    released: true,
    circuitOpened,
    detail: circuitOpened ? `${what}; circuit opened after ${failures.length} failures` : what,
    ...(attributes?.claimed ? { claim: attributes.claimed } : {}),
  };
}

/** A conditional update of the target's item by its holder, while the hold is in progress; returns the item as it was or is. */
async function update(
  settings: GuardSettings,
  target: string,
  expression: string,
  values: Record<string, unknown>,
  alsoRequire?: string,
  returnValues: 'ALL_OLD' | 'ALL_NEW' = 'ALL_NEW',
): Promise<TargetRecord | undefined> {
  const condition = 'lockedBy = :me AND lockState = :inProgress';
  const out = await dynamoDb.send(
    new UpdateCommand({
      TableName: settings.tableName,
      Key: { target },
      UpdateExpression: expression,
      ConditionExpression: alsoRequire ? `${condition} AND ${alsoRequire}` : condition,
      ExpressionAttributeValues: values,
      ReturnValues: returnValues,
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
