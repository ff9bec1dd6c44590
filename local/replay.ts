// The replay kit: a recorded sequence of inbound events (alarm transitions as SNS or EventBridge
// delivered them, raw payloads, and the deployments that happened meanwhile), replayed on the
// simulated clock against the game-day fleet, with the decision each event must lead to.
// `npm start -- --replay replays/<file>.json`; test/integration/replay.test.ts runs every file.
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { describeIssues } from '../functions/domain/inbound/format';
import type { IngestResult } from '../functions/aws/ingest';
import type { IncidentSummary } from './report';
import { eventBridgeAlarmStateChange, snsAlarmNotification } from './scenarios';
import type { Fleet, Revision } from './sandbox/fleet';

const ExpectSchema = z
  .object({
    /** not-delivered: no EventBridge rule routes it (e.g. an alarm not named with the stack's prefix). */
    ingest: z.enum(['started', 'duplicate', 'ignored', 'rejected', 'not-delivered']).default('started'),
    outcome: z.enum(['succeeded', 'failed', 'skipped', 'notified', 'not-recovered', 'shadow']).optional(),
    reason: z.string().optional(),
    /** The action the incident ended on. */
    action: z.string().optional(),
    /** The incident's plan correlated a recent change (change-aware choice). */
    correlated: z.boolean().optional(),
    /** Escalation ladders: the action types of the rungs tried, in order. */
    steps: z.array(z.string()).optional(),
  })
  .strict();
export type Expectation = z.infer<typeof ExpectSchema>;

const At = z.number().min(0).describe('Simulated seconds after the replay starts');

const AlarmEventSchema = z
  .object({
    at: At,
    alarm: z.string().min(1),
    state: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
    reason: z.string().optional(),
    via: z.enum(['sns', 'eventbridge']).optional().describe("How it arrives; default: the alarm's own delivery"),
    /** Redeliveries of the same transition (at-least-once delivery): every copy after the first must be a duplicate. */
    copies: z.int().min(1).max(1000).default(1),
    expect: ExpectSchema.optional(),
  })
  .strict();

const PayloadEventSchema = z
  .object({
    at: At,
    payload: z.record(z.string(), z.unknown()),
    description: z.string().optional(),
    expect: ExpectSchema.optional(),
  })
  .strict();

const DeployEventSchema = z
  .object({
    at: At,
    deploy: z
      .object({
        application: z.string(),
        deploymentGroup: z.string(),
        version: z.string(),
        bad: z.boolean().default(false),
      })
      .strict(),
  })
  .strict();

export const ReplaySchema = z
  .object({
    name: z.string().min(1),
    description: z.string(),
    /** How the on-call answers approval requests, and after how many simulated seconds. */
    approvals: z
      .object({ answer: z.enum(['approve', 'reject']).default('approve'), afterSeconds: z.int().min(0).default(60) })
      .strict()
      .default({ answer: 'approve', afterSeconds: 60 }),
    events: z.array(z.union([AlarmEventSchema, PayloadEventSchema, DeployEventSchema])).min(1),
  })
  .strict();
export type Replay = z.infer<typeof ReplaySchema>;
export type ReplayEvent = Replay['events'][number];

export function loadReplay(file: string): Replay {
  const parsed = ReplaySchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`Invalid replay ${file}: ${describeIssues(parsed.error, [], 10)}`);
  return parsed.data;
}

/** The replayed alarms' states follow the recording only: they stop evaluating their metrics. */
export function prepareFleet(fleet: Fleet, replay: Replay): void {
  for (const event of replay.events) {
    if (!('alarm' in event)) continue;
    const alarm = fleet.alarms.get(event.alarm);
    if (!alarm)
      throw new Error(
        `Replay ${replay.name}: the game-day fleet has no alarm ${event.alarm} (${[...fleet.alarms.keys()].join(', ')})`,
      );
    alarm.condition = { kind: 'recorded' };
  }
}

export interface ReplayDelivery {
  channel: 'sns' | 'eventbridge';
  description: string;
  event: unknown;
}

const revisionOf = (application: string, version: string): Revision => ({
  revisionType: 'S3',
  s3Location: { bucket: `${application}-artifacts`, key: `${application}/${version}.zip`, bundleType: 'zip' },
});

/** Applies one recorded event at its time: what arrives (zero or more deliveries), and any change to the estate. */
export function play(fleet: Fleet, event: ReplayEvent): ReplayDelivery[] {
  if ('deploy' in event) {
    const { application, deploymentGroup, version, bad } = event.deploy;
    fleet.deploy(application, deploymentGroup, revisionOf(application, version), bad);
    return [];
  }
  if ('payload' in event) {
    const channel = 'Records' in event.payload ? 'sns' : 'eventbridge';
    return [
      {
        channel,
        description:
          event.description ??
          `recorded ${channel === 'sns' ? 'SNS notification' : String(event.payload['detail-type'])}`,
        event: event.payload,
      },
    ];
  }
  const alarm = fleet.alarms.get(event.alarm);
  if (!alarm) throw new Error(`No alarm ${event.alarm}`);
  const previous = alarm.state;
  fleet.setAlarmState(event.alarm, event.state, event.reason ?? `Replayed: ${event.state}`);
  const via = event.via ?? alarm.delivery;
  const description = `alarm ${alarm.name} ${previous} → ${event.state} (replayed${event.copies > 1 ? `, ×${event.copies}` : ''})`;
  // Every copy is the same transition, as a redelivery would be.
  const payload =
    via === 'sns' ? snsAlarmNotification(fleet, alarm, previous) : eventBridgeAlarmStateChange(fleet, alarm, previous);
  return Array.from({ length: event.copies }, () => ({ channel: via, description, event: structuredClone(payload) }));
}

export interface Check {
  event: number;
  at: number;
  description: string;
  expected: Expectation;
  actual: Partial<Expectation> & { execution?: string };
  ok: boolean;
  problems: string[];
}

interface Outcome {
  summary?: IncidentSummary;
  actionType?: string;
  correlated: boolean;
  steps: string[];
}

/** Compares what each recorded event led to with what the recording expects. */
export function checkReplay(
  replay: Replay,
  resultsByEvent: IngestResult[][],
  outcomeOf: (executionName: string) => Outcome | undefined,
): Check[] {
  const checks: Check[] = [];
  replay.events.forEach((event, index) => {
    if ('deploy' in event || !event.expect) return;
    const results = resultsByEvent[index] ?? [];
    const first = results[0];
    const problems: string[] = [];
    const expected = event.expect;
    const actual: Check['actual'] = {
      ...(first ? { ingest: first.status } : {}),
      ...(first?.executionName ? { execution: first.executionName } : {}),
    };
    if (!first) {
      actual.ingest = 'not-delivered';
      if (expected.ingest !== 'not-delivered') problems.push('nothing was delivered or ingested');
    } else if (first.status !== expected.ingest) problems.push(`ingest ${first.status}, expected ${expected.ingest}`);
    // Redeliveries of a transition that started an incident are duplicates; of anything else, the same again.
    const copies = 'copies' in event ? event.copies : 1;
    const repeat = first?.status === 'started' ? 'duplicate' : first?.status;
    const repeats = results.slice(1).filter((r) => r.status === repeat).length;
    if (first && copies > 1 && repeats !== copies - 1)
      problems.push(`${repeats} of ${copies - 1} redeliveries were ${repeat ?? '?'}`);
    if (
      first?.executionName &&
      (expected.outcome || expected.reason || expected.action || expected.correlated !== undefined || expected.steps)
    ) {
      const outcome = outcomeOf(first.executionName);
      const summary = outcome?.summary;
      const got = summary?.outcome;
      Object.assign(actual, {
        ...(got ? { outcome: got } : {}),
        ...(summary?.reason ? { reason: summary.reason } : {}),
        ...(outcome?.actionType ? { action: outcome.actionType } : {}),
        correlated: outcome?.correlated ?? false,
        ...(outcome?.steps.length ? { steps: outcome.steps } : {}),
      });
      if (expected.outcome && got !== expected.outcome)
        problems.push(`outcome ${got ?? 'none'}, expected ${expected.outcome}`);
      if (expected.reason && summary?.reason !== expected.reason)
        problems.push(`reason ${summary?.reason ?? 'none'}, expected ${expected.reason}`);
      if (expected.action && outcome?.actionType !== expected.action)
        problems.push(`action ${outcome?.actionType ?? 'none'}, expected ${expected.action}`);
      if (expected.correlated !== undefined && (outcome?.correlated ?? false) !== expected.correlated)
        problems.push(`correlated ${String(outcome?.correlated ?? false)}, expected ${String(expected.correlated)}`);
      if (expected.steps && JSON.stringify(outcome?.steps ?? []) !== JSON.stringify(expected.steps))
        problems.push(`steps ${JSON.stringify(outcome?.steps ?? [])}, expected ${JSON.stringify(expected.steps)}`);
    }
    const description =
      'alarm' in event
        ? `${event.alarm} → ${event.state}${copies > 1 ? ` ×${copies}` : ''}`
        : (event.description ?? 'recorded payload');
    checks.push({ event: index, at: event.at, description, expected, actual, ok: problems.length === 0, problems });
  });
  return checks;
}
