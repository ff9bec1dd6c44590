import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { callAws, toNamedAwsError } from './aws-errors';
import { dynamoDb } from './clients/dynamodb';
import { sfn } from './clients/sfn';
import type { Wake } from '../domain/wake';
import { logger } from '../platform/powertools';

// Task tokens of executions waiting for an event, in the guard table: one item per thing waited
// for (`wait:<key>`), its `tokens` a map from execution name to token, and when the last event
// for it came (`lastEventAt`, epoch ms). The event side takes all tokens in one write and resumes
// each; the wait side registers, then resumes itself if an event came since it last looked.

/** A wait item outlives any wait on it (the longest is a rung's verify timeout). */
const WAIT_ITEM_SECONDS = 24 * 3600;
/** A token that is no longer waiting: its task timed out (and fell back to a poll) or was answered. */
const LATE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

const itemKey = (key: string) => `wait:${key}`;
const ttl = (now: Date) => Math.floor(now.getTime() / 1000) + WAIT_ITEM_SECONDS;

/** Resumes one waiting task; false when it no longer waits (late or duplicate event: harmless). */
export async function resume(token: string, wake: Wake): Promise<boolean> {
  try {
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(wake) }));
    return true;
  } catch (error) {
    if (error instanceof Error && LATE.has(error.name)) return false;
    throw toNamedAwsError(error, 'SFN.SendTaskSuccess');
  }
}

interface WaitItem {
  tokens?: Record<string, string>;
  lastEventAt?: number;
  lastEvent?: string;
}

async function setToken(table: string, key: string, execution: string, token: string, now: Date): Promise<WaitItem> {
  const common = { TableName: table, Key: { target: itemKey(key) }, ReturnValues: 'ALL_NEW' as const };
  // A nested path can only be set inside a map that exists: the first waiter creates the map.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const out = await dynamoDb.send(
        new UpdateCommand({
          ...common,
          UpdateExpression: 'SET tokens.#execution = :token, expiresAt = :ttl',
          ConditionExpression: 'attribute_exists(tokens)',
          ExpressionAttributeNames: { '#execution': execution },
          ExpressionAttributeValues: { ':token': token, ':ttl': ttl(now) },
        }),
      );
      return out.Attributes as WaitItem;
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException'))
        throw toNamedAwsError(error, 'DynamoDB.UpdateItem');
    }
    try {
      const out = await dynamoDb.send(
        new UpdateCommand({
          ...common,
          UpdateExpression: 'SET tokens = :tokens, expiresAt = :ttl',
          ConditionExpression: 'attribute_not_exists(tokens)',
          ExpressionAttributeValues: { ':tokens': { [execution]: token }, ':ttl': ttl(now) },
        }),
      );
      return out.Attributes as WaitItem;
    } catch (error) {
      // Another waiter created the map meanwhile: set ours inside it.
      if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException'))
        throw toNamedAwsError(error, 'DynamoDB.UpdateItem');
    }
  }
  throw new Error(`Could not register the wait on ${key}`);
}

/**
 * Registers this execution's task token on each key. If an event for one of them came after
 * `lastReadAt` (it may have arrived before the registration), resumes the task at once.
 */
export async function registerWait(
  table: string,
  keys: string[],
  execution: string,
  token: string,
  lastReadAt: string | undefined,
  now: Date,
): Promise<{ registered: string[]; resumedAtOnce?: Wake }> {
  const since = lastReadAt ? Date.parse(lastReadAt) : 0;
  let missed: Wake | undefined;
  for (const key of keys) {
    const item = await setToken(table, key, execution, token, now);
    if (item.lastEventAt !== undefined && item.lastEventAt > since && !missed)
      missed = { by: item.lastEvent ?? key, at: new Date(item.lastEventAt).toISOString() };
  }
  if (missed) {
    await forgetWaits(table, keys, execution);
    await resume(token, missed);
    return { registered: keys, resumedAtOnce: missed };
  }
  return { registered: keys };
}

/** An event for these keys: every execution waiting on one is resumed (each once). Returns how many. */
export async function wakeWaiters(table: string, keys: string[], by: string, now: Date): Promise<number> {
  let resumed = 0;
  for (const key of keys) {
    const out = await callAws('DynamoDB.UpdateItem', () =>
      dynamoDb.send(
        new UpdateCommand({
          TableName: table,
          Key: { target: itemKey(key) },
          UpdateExpression: 'SET lastEventAt = :at, lastEvent = :by, expiresAt = :ttl REMOVE tokens',
          ExpressionAttributeValues: { ':at': now.getTime(), ':by': by, ':ttl': ttl(now) },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    const tokens = Object.entries((out.Attributes as WaitItem | undefined)?.tokens ?? {});
    for (const [execution, token] of tokens) {
      const woke = await resume(token, { by, at: now.toISOString() });
      if (woke) resumed += 1;
      logger.info(woke ? 'Resumed a waiting execution' : 'Event for a wait that had already ended', {
        key,
        execution,
      });
    }
  }
  return resumed;
}

/** Takes this execution's tokens off its keys (every exit path; a wait that timed out left its token). */
export async function forgetWaits(table: string, keys: string[], execution: string): Promise<void> {
  for (const key of keys) {
    try {
      await dynamoDb.send(
        new UpdateCommand({
          TableName: table,
          Key: { target: itemKey(key) },
          UpdateExpression: 'REMOVE tokens.#execution',
          // Never creates an item for a key nobody waits on.
          ConditionExpression: 'attribute_exists(tokens.#execution)',
          ExpressionAttributeNames: { '#execution': execution },
        }),
      );
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException'))
        throw toNamedAwsError(error, 'DynamoDB.UpdateItem');
    }
  }
}
