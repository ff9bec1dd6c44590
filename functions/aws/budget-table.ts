import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { callAws, toNamedAwsError } from './aws-errors';
import { dynamoDb } from './clients/dynamodb';
import { ACTION_TYPES, type ActionType } from '../domain/policy/actions';
import type { BudgetCheck, BudgetCounted } from '../domain/guardrails';
import { settleAll } from '../platform/settle';

// The fleet-wide remediation budget: at most N mutating actions per clock hour for the account,
// and per action type, counted in the guard table. Scale-outs, which only add capacity and need no
// human, count against their own budget only: a storm of them (or alarms anyone can make fire)
// never uses the budget a rollback or a replacement needs, and those never hold back a scale-out. Each counter is one item holding the set of
// executions (and ladder steps) that used it: the conditional ADD is atomic, and a retried call
// finds its own id already there, so nothing is counted twice. The guard only looks at it; the
// budget is taken right before the call (aws/preflight.ts) and given back when AWS refuses it, so
// only changes spend it.

export interface BudgetSettings {
  tableName: string;
  perHour: number;
  perActionType: Partial<Record<ActionType, number>>;
}

export type { BudgetCheck };

interface Counter {
  key: string;
  scope: string;
  limit: number;
}

/** The clock hour an action falls in, and when its budget resets. */
export function budgetWindow(now: Date): { id: string; resetsAt: Date } {
  const id = now.toISOString().slice(0, 13);
  return { id, resetsAt: new Date(Date.parse(`${id}:00:00.000Z`) + 3_600_000) };
}

/** Action types that count against their own budget only (the account's default when none is set). */
export const OWN_BUDGET_ONLY: readonly ActionType[] = ['scale-out'];

function countersFor(settings: BudgetSettings, actionType: ActionType, window: string): Counter[] {
  if (OWN_BUDGET_ONLY.includes(actionType))
    return [
      {
        key: `budget:${actionType}:${window}`,
        scope: `${actionType} actions`,
        limit: settings.perActionType[actionType] ?? settings.perHour,
      },
    ];
  const counters: Counter[] = [{ key: `budget:account:${window}`, scope: 'the account', limit: settings.perHour }];
  const typeLimit = settings.perActionType[actionType];
  if (typeLimit !== undefined)
    counters.push({ key: `budget:${actionType}:${window}`, scope: `${actionType} actions`, limit: typeLimit });
  return counters;
}

const exhausted = (counter: Counter, used: number, resetsAt: Date): BudgetCheck => ({
  ok: false,
  scope: counter.scope,
  used,
  limit: counter.limit,
  resetsAt: resetsAt.toISOString(),
  detail: `remediation budget exhausted: ${used} of ${counter.limit} mutating actions this hour for ${counter.scope}; notify-only until ${resetsAt.toISOString()}`,
});

async function usedBy(settings: BudgetSettings, counter: Counter): Promise<Set<string>> {
  const out = await callAws('DynamoDB.GetItem', () =>
    dynamoDb.send(
      new GetCommand({ TableName: settings.tableName, Key: { target: counter.key }, ConsistentRead: true }),
    ),
  );
  return (out.Item?.consumers as Set<string> | undefined) ?? new Set();
}

/** The counters an action taken now falls under: recorded with the intent before they are taken, so the release finds them. */
export function budgetCounterKeys(settings: BudgetSettings, actionType: ActionType, now: Date): string[] {
  return countersFor(settings, actionType, budgetWindow(now).id).map((c) => c.key);
}

/** A look at the budget: would this action fit in it? Reads only (the guard, and dry runs). */
export async function peekBudget(
  settings: BudgetSettings,
  consumer: string,
  actionType: ActionType,
  now: Date,
): Promise<BudgetCheck> {
  const window = budgetWindow(now);
  for (const counter of countersFor(settings, actionType, window.id)) {
    const used = await usedBy(settings, counter);
    if (!used.has(consumer) && used.size >= counter.limit) return exhausted(counter, used.size, window.resetsAt);
  }
  return { ok: true, detail: 'within the remediation budget (taken right before the call)' };
}

/** Adds the consumer to one counter unless it is full; false when full. */
async function take(
  settings: BudgetSettings,
  counter: Counter,
  consumer: string,
  ttl: number,
): Promise<{ taken: boolean; used?: number }> {
  try {
    const out = await dynamoDb.send(
      new UpdateCommand({
        TableName: settings.tableName,
        Key: { target: counter.key },
        UpdateExpression: 'ADD consumers :me SET expiresAt = :ttl',
        ConditionExpression: 'attribute_not_exists(consumers) OR size(consumers) < :limit OR contains(consumers, :id)',
        ExpressionAttributeValues: {
          ':me': new Set([consumer]),
          ':id': consumer,
          ':limit': counter.limit,
          ':ttl': ttl,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { taken: true, used: (out.Attributes?.consumers as Set<string> | undefined)?.size };
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return { taken: false };
    throw toNamedAwsError(error, 'DynamoDB.UpdateItem');
  }
}

/**
 * Counts this action against every budget it falls under, or none of them when one is full. The
 * counters are written together (each write is atomic on its own); when one is full, what the
 * others took is given back.
 */
export async function consumeBudget(
  settings: BudgetSettings,
  consumer: string,
  actionType: ActionType,
  now: Date,
): Promise<BudgetCheck> {
  const window = budgetWindow(now);
  const ttl = Math.floor(window.resetsAt.getTime() / 1000) + 86_400;
  const counters = countersFor(settings, actionType, window.id);
  const results = await settleAll(counters.map((counter) => take(settings, counter, consumer, ttl)));
  const full = counters.find((_, i) => !results[i]?.taken);
  if (full) {
    const taken = counters.filter((_, i) => results[i]?.taken);
    await refundBudget(settings.tableName, { keys: taken.map((c) => c.key), consumer });
    return exhausted(full, (await usedBy(settings, full)).size, window.resetsAt);
  }
  return {
    ok: true,
    counted: { keys: counters.map((c) => c.key), consumer },
    detail: `remediation budget this hour: ${counters.map((c, i) => `${results[i]?.used ?? '?'}/${c.limit} for ${c.scope}`).join(', ')}`,
  };
}

/** "rollback-deployment=3,scale-out=10" (template parameter RemediationBudgetPerActionType). */
export function parsePerActionType(text: string): Partial<Record<ActionType, number>> {
  const limits: Partial<Record<ActionType, number>> = {};
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [type, value] = entry.split('=').map((p) => p.trim());
    const limit = Number(value);
    const known = ACTION_TYPES.find((t) => t === type);
    if (!known || !Number.isInteger(limit) || limit < 0)
      throw new Error(
        `RemediationBudgetPerActionType: "${entry}" is not <action type>=<whole number> (types: ${ACTION_TYPES.join(', ')})`,
      );
    limits[known] = limit;
  }
  return limits;
}

export function budgetSettingsFromEnv(tableName: string, env: NodeJS.ProcessEnv = process.env): BudgetSettings {
  return {
    tableName,
    perHour: Number(env.REMEDIATION_BUDGET_PER_HOUR ?? 20),
    perActionType: parsePerActionType(env.REMEDIATION_BUDGET_PER_ACTION_TYPE ?? ''),
  };
}

/** Gives an action's place in the budget back: it changed nothing (a no-op, a skip right before the call). */
export async function refundBudget(tableName: string, counted: BudgetCounted): Promise<void> {
  await settleAll(
    counted.keys.map((key) =>
      callAws('DynamoDB.UpdateItem', () =>
        dynamoDb.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { target: key },
            UpdateExpression: 'DELETE consumers :me',
            ExpressionAttributeValues: { ':me': new Set([counted.consumer]) },
          }),
        ),
      ),
    ),
  );
}
