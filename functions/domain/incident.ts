import { hash as digestOf } from 'node:crypto';
import * as z from 'zod';
import { ActionSchema } from './policy/actions';

export const IncidentSourceSchema = z.enum(['cloudwatch-alarm', 'codedeploy', 'autoscaling', 'ec2', 'manual']);
export type IncidentSource = z.infer<typeof IncidentSourceSchema>;

export const AlarmStateSchema = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);
export type AlarmState = z.infer<typeof AlarmStateSchema>;

/** Step Functions execution names: 1-80 characters; we use only [A-Za-z0-9_-] to stay clear of every reserved one. */
export const ExecutionNameSchema = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[A-Za-z0-9_-]+$/, 'must use only letters, digits, "-" and "_"');

const FlatMap = z.record(z.string(), z.string());

export const AlarmInfoSchema = z.object({
  name: z.string().min(1).max(255),
  arn: z.string().min(1),
  type: z.enum(['metric', 'metric-math', 'composite']),
  state: AlarmStateSchema,
  previousState: AlarmStateSchema.optional(),
  reason: z.string(),
  stateChangeTime: z.iso.datetime(),
  namespace: z.string().optional(),
  metricName: z.string().optional(),
  dimensions: FlatMap,
  tags: FlatMap,
  alarmRule: z.string().optional(),
  /** Each metric of the alarm with its own namespace and dimensions (a metric-math alarm has several): what binds targets. */
  metrics: z.array(z.object({ namespace: z.string().optional(), dimensions: FlatMap })).optional(),
});
export type AlarmInfo = z.infer<typeof AlarmInfoSchema>;

export const EventInfoSchema = z.object({
  id: z.string(),
  source: z.string(),
  detailType: z.string(),
  state: z.string().optional(),
  resources: z.array(z.string()),
});
export type EventInfo = z.infer<typeof EventInfoSchema>;

export const TargetSchema = z.object({
  autoScalingGroupName: z.string().optional(),
  instanceId: z.string().optional(),
  codedeploy: z
    .object({
      application: z.string().optional(),
      deploymentGroup: z.string().optional(),
      deploymentId: z.string().optional(),
    })
    .optional(),
});
export type Target = z.infer<typeof TargetSchema>;

export const IncidentSchema = z.object({
  id: ExecutionNameSchema,
  source: IncidentSourceSchema,
  summary: z.string(),
  account: z.string(),
  region: z.string(),
  receivedAt: z.iso.datetime(),
  /** When the problem was detected upstream (alarm state change, event time): the start of time-to-remediate. */
  detectedAt: z.iso.datetime(),
  dryRun: z.boolean(),
  alarm: AlarmInfoSchema.optional(),
  event: EventInfoSchema.optional(),
  target: TargetSchema,
  /** Manual executions only: the action the operator asked for, bypassing rule matching. */
  requestedAction: ActionSchema.optional(),
});
export type Incident = z.infer<typeof IncidentSchema>;

const HASH_LENGTH = 20;
const MAX_EXECUTION_NAME = 80;

/**
 * Deterministic, always-valid execution name: `<kind>-<readable slug>-<hash>`.
 * The hash covers the whole dedupe key, so the readable part may be truncated freely:
 * the same key always gives the same name, different keys (almost) never collide.
 */
export function executionName(kind: string, readable: string, dedupeKey: string): string {
  // One-shot crypto.hash: about 3× faster than createHash for short keys (ingest names every record).
  const hash = digestOf('sha256', dedupeKey, 'hex').slice(0, HASH_LENGTH);
  const room = MAX_EXECUTION_NAME - kind.length - HASH_LENGTH - 2;
  const slug = readable
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, room)
    .replace(/[-_]+$/g, '');
  return slug ? `${kind}-${slug}-${hash}` : `${kind}-${hash}`;
}

/** The same alarm transition delivered by SNS and by EventBridge gets the same id, so it runs once. */
export function alarmIncidentId(
  account: string,
  region: string,
  alarmName: string,
  state: string,
  stateChangeTime: string,
): string {
  return executionName(
    'alarm',
    alarmName,
    ['cloudwatch-alarm', account, region, alarmName, state, stateChangeTime].join('|'),
  );
}

/** Parses the timestamp formats AWS uses in alarm payloads (e.g. `2021-05-05T04:01:46.187+0000`) into ISO-8601 UTC. */
// The formats AWS writes: 2026-11-23T10:15:30.123+0000 (CloudWatch), ISO 8601 with Z or an offset.
const AWS_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * An AWS timestamp as ISO 8601 (UTC). Strict: `new Date` alone also takes "12/01/2026" and rolls
 * 2026-02-30 over to March, and a time nobody wrote must not decide an incident's age.
 */
export const AwsTimestampSchema = z.string().transform((value, ctx) => {
  const parts = AWS_TIMESTAMP.exec(value);
  const [year, month, day, hour, minute, second] = (parts?.slice(1, 7) ?? []).map(Number);
  const daysInMonth = year && month ? new Date(Date.UTC(year, month, 0)).getUTCDate() : 0;
  const valid =
    parts !== null &&
    month !== undefined &&
    month >= 1 &&
    month <= 12 &&
    day !== undefined &&
    day >= 1 &&
    day <= daysInMonth &&
    (hour ?? 99) < 24 &&
    (minute ?? 99) < 60 &&
    (second ?? 99) < 60;
  if (!valid) {
    ctx.addIssue({ code: 'custom', message: `not an ISO 8601 timestamp: "${value.slice(0, 40)}"` });
    return z.NEVER;
  }
  return new Date(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')).toISOString();
});

/** How far ahead of its arrival an event's own time may be (clock skew between AWS services). */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/**
 * How much of an alarm's or event's text enters an execution: the one place these caps live.
 * Anyone who can name, tag or describe an alarm writes this text, and a state past 256 KB fails
 * the execution with States.DataLimitExceeded, which no Catch catches. Ingest
 * (domain/inbound/bounded.ts) applies them before anything is started or woken.
 *
 * - Counts and lengths of what names something (the alarm, a metric, a tag or dimension key) are
 *   CloudWatch's own limits: past them the record is rejected, since cutting a name would name
 *   something else and CloudWatch never sends more.
 * - Free text and values are cut, ending in "…[cut]". Sizes are bytes of the state's JSON (UTF-8,
 *   escapes counted), so they hold whatever the characters; in plain ASCII a byte is a character.
 *
 * With them an incident serialises to less than MAX_INCIDENT_BYTES (test/unit/untrusted-text.test.ts).
 */
export const TEXT_LIMITS = {
  // CloudWatch's limits (characters): longer or more is rejected.
  alarmName: 255,
  /** arn:<partition>:cloudwatch:<region>:<account>:alarm: and the name. */
  alarmArn: 320,
  metricName: 255,
  namespace: 255,
  tags: 50,
  tagKey: 128,
  dimensions: 30,
  dimensionName: 255,
  // Cut (bytes). A reason's first KiB says what crossed which threshold; a composite rule's, which alarms.
  reason: 1024,
  alarmRule: 1024,
  summary: 512,
  /** A tag or dimension value: CloudWatch's tag-value limit, and longer than any name the platform acts on (a group name is at most 255). */
  value: 256,
  /** All tags, keys and values: values are cut, longest first, to fit. Keys alone past it: rejected. */
  tagsTotal: 4096,
  /** All dimensions (a metric-math alarm's metrics merged), the same way. */
  dimensionsTotal: 2048,
  /** A metric-math alarm's metrics kept one by one (what binds targets), each with a tenth of the dimensions' budget. */
  mathMetrics: 10,
  /** An event's id, source, state and each resource it lists; resources past the count are left out (nothing reads them). */
  eventField: 256,
  eventResources: 10,
} as const;

/** An incident made by ingest serialises to less than this, whatever the alarm says (well inside a 64 KiB state). */
export const MAX_INCIDENT_BYTES = 16 * 1024;

/** Fills resource hints from dimensions and alarm tags. */
export function targetFromDimensions(dimensions: Record<string, string>, tags: Record<string, string>): Target {
  const application = tags['selfhealing:codedeploy-application'] ?? dimensions.ApplicationName;
  const deploymentGroup = tags['selfhealing:codedeploy-deployment-group'] ?? dimensions.DeploymentGroupName;
  return {
    ...(dimensions.AutoScalingGroupName ? { autoScalingGroupName: dimensions.AutoScalingGroupName } : {}),
    ...(dimensions.InstanceId ? { instanceId: dimensions.InstanceId } : {}),
    ...(application || deploymentGroup ? { codedeploy: { application, deploymentGroup } } : {}),
  };
}
