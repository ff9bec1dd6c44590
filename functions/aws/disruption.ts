import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { callAws, toNamedAwsError } from './aws-errors';
import { dynamoDb } from './clients/dynamodb';
import { disruptionKey } from '../domain/safety-kernel';
import { settleAll } from '../platform/settle';

// The blast radius, counted across executions: one guard-table item per Auto Scaling group whose
// `holders` string set has one entry per instance some execution is replacing, restarting or
// draining there ("<execution>#<n>@<until>"). The entry is added right before the call with a
// condition on the set's size (the kernel's share of the group), and removed when the execution
// releases its target; `until` (the lock's lifetime) lets a dead execution's entries go.

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

interface Entry {
  owner: string;
  until: number;
  text: string;
}

function parse(text: string): Entry {
  const at = text.lastIndexOf('@');
  const hash = text.lastIndexOf('#', at);
  return { owner: text.slice(0, hash), until: Number(text.slice(at + 1)), text };
}

/** The entries one execution takes for `count` instances of a group. */
export function disruptionEntries(owner: string, count: number, until: number): string[] {
  return Array.from({ length: count }, (_, i) => `${owner}#${i + 1}@${until}`);
}

export interface InFlight {
  /** Instances other executions are disrupting now, per group. */
  others: Record<string, number>;
  /**
   * Entries that no longer count, per item key: their time ran out (their executions ended without
   * releasing), or they are this execution's own (an earlier rung, whose change is over: a ladder
   * climbs only once a rung has ended). The claim drops them before it adds its own.
   */
  expired: Record<string, string[]>;
}

/** What other executions have in flight on these groups, read right before the decision. */
export async function readInFlight(tableName: string, groups: string[], owner: string, now: Date): Promise<InFlight> {
  const nowSeconds = seconds(now);
  const result: InFlight = { others: {}, expired: {} };
  await settleAll(
    groups.map(async (group) => {
      const key = disruptionKey(group);
      const out = await callAws('DynamoDB.GetItem', () =>
        dynamoDb.send(new GetCommand({ TableName: tableName, Key: { target: key }, ConsistentRead: true })),
      );
      const entries = [...((out.Item?.holders as Set<string> | undefined) ?? [])].map(parse);
      result.others[group] = entries.filter((e) => e.owner !== owner && e.until > nowSeconds).length;
      const expired = entries.filter((e) => e.until <= nowSeconds || e.owner === owner).map((e) => e.text);
      if (expired.length > 0) result.expired[key] = expired;
    }),
  );
  return result;
}

/**
 * Takes `entries` in the group's count, if the group has room for them: at most `allowed` entries
 * of live executions (expired ones are dropped first), or without a limit when a human approved
 * this much. False when another execution took the room since the read.
 */
export async function holdDisruption(
  tableName: string,
  group: string,
  entries: string[],
  allowed: number | undefined,
  expired: string[] = [],
): Promise<boolean> {
  const key = disruptionKey(group);
  if (entries.length === 0) return true;
  if (expired.length > 0) await releaseDisruption(tableName, key, expired);
  try {
    await dynamoDb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { target: key },
        UpdateExpression: 'ADD holders :mine',
        // A retry finds its own entries there already; else the set must leave room for them.
        ...(allowed === undefined
          ? {}
          : {
              ConditionExpression:
                'attribute_not_exists(holders) OR contains(holders, :first) OR size(holders) <= :room',
            }),
        ExpressionAttributeValues: {
          ':mine': new Set(entries),
          ...(allowed === undefined ? {} : { ':first': entries[0], ':room': allowed - entries.length }),
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
    throw toNamedAwsError(error, 'DynamoDB.UpdateItem');
  }
}

/** Gives a group's entries back (the change is over, or never went out). */
export async function releaseDisruption(tableName: string, key: string, entries: string[]): Promise<void> {
  if (entries.length === 0) return;
  await callAws('DynamoDB.UpdateItem', () =>
    dynamoDb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { target: key },
        UpdateExpression: 'DELETE holders :gone',
        ExpressionAttributeValues: { ':gone': new Set(entries) },
      }),
    ),
  );
}

/** Gives back every disruption slot a claim took. */
export async function releaseClaimedDisruption(
  tableName: string,
  claimed: Record<string, string[]> | undefined,
): Promise<void> {
  await settleAll(Object.entries(claimed ?? {}).map(([key, entries]) => releaseDisruption(tableName, key, entries)));
}
