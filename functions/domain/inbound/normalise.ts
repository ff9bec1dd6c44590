import * as z from 'zod';
import {
  type AlarmInfo,
  type Incident,
  MAX_CLOCK_SKEW_SECONDS,
  TEXT_LIMITS,
  alarmIncidentId,
  executionName,
  targetFromDimensions,
} from '../incident';
import { InvalidEventError } from '../errors';
import { boundedMap, cut } from './bounded';
import {
  AlarmArnSchema,
  AlarmStateChangeDetailSchema,
  type MetricIdentity,
  SnsAlarmMessageSchema,
  metricIdentityFromEventBridge,
  metricIdentityFromSns,
} from './cloudwatch-alarm';
import { EventBridgeSchema, JSONStringified, SnsRecordSchema } from './envelopes';
import { describeIssues } from './format';
import { waitKey, wakesForAlarm } from '../wake';

/** `wakes`: the waits this event ends (domain/wake.ts), whether or not it is an incident itself. */
export type Normalised =
  | { status: 'incident'; incident: Incident; wakes?: string[] }
  | { status: 'ignored'; incident?: Incident; reason: string; wakes?: string[] }
  | { status: 'rejected'; reason: string };

export interface IngestContext {
  receivedAt: string;
  dryRun: boolean;
  /** This stack's own account and Region (from the function's ARN): it acts on nothing else. */
  account?: string;
  region?: string;
}

const SnsAlarmRecordSchema = SnsRecordSchema.extend({
  Sns: SnsRecordSchema.shape.Sns.extend({ Message: JSONStringified(SnsAlarmMessageSchema) }),
});

/**
 * Why `time` (found at `field`) is too far ahead of the record's arrival, if it is. A future time
 * would switch off the maximum-age check, and an OK or INSUFFICIENT_DATA dated ahead would end
 * waits early: every record is judged by it, whatever its state or kind.
 */
function fromTheFuture(field: string, time: string, ctx: IngestContext): string | undefined {
  if (Date.parse(time) <= Date.parse(ctx.receivedAt) + MAX_CLOCK_SKEW_SECONDS * 1000) return undefined;
  return `${field}: ${time} is later than its arrival (${ctx.receivedAt}) by more than ${MAX_CLOCK_SKEW_SECONDS} s`;
}

/** `timeField`: where the alarm's state-change time came from, for the rejection reason. */
function alarmIncident(
  alarm: AlarmInfo,
  account: string,
  region: string,
  ctx: IngestContext,
  timeField: string,
): Normalised {
  // A same-named group in this account is not the alarm's: never plan, lock or spend budget for it.
  if ((ctx.account && account !== ctx.account) || (ctx.region && region !== ctx.region))
    return {
      status: 'rejected',
      reason: `alarm ${alarm.name} is in account ${account}, Region ${region}: this stack acts only in ${ctx.account ?? account}, ${ctx.region ?? region}`,
    };
  const future = fromTheFuture(timeField, alarm.stateChangeTime, ctx);
  if (future) return { status: 'rejected', reason: future };
  const incident: Incident = {
    id: alarmIncidentId(account, region, alarm.name, alarm.state, alarm.stateChangeTime),
    source: 'cloudwatch-alarm',
    summary: cut(
      `${alarm.state} ${alarm.name} (${alarm.type === 'composite' ? 'composite' : (alarm.metricName ?? alarm.type)})`,
      TEXT_LIMITS.summary,
    ),
    account,
    region,
    receivedAt: ctx.receivedAt,
    detectedAt: alarm.stateChangeTime,
    dryRun: ctx.dryRun,
    alarm,
    target: targetFromDimensions(alarm.dimensions, alarm.tags),
  };
  if (alarm.state !== 'ALARM') {
    return {
      status: 'ignored',
      incident,
      reason: `alarm state ${alarm.state} is not actionable`,
      wakes: wakesForAlarm(alarm.name, alarm.state),
    };
  }
  return { status: 'incident', incident };
}

/** Where an alarm's tags and dimensions came from in the record, for a rejection reason. */
interface AlarmFields {
  tags: string;
  dimensions: string;
}

/** The alarm as it enters the state: its text cut to TEXT_LIMITS (domain/incident.ts). */
function buildAlarm(
  fields: Omit<AlarmInfo, 'type' | 'namespace' | 'metricName' | 'dimensions'>,
  identity: MetricIdentity,
  at: AlarmFields,
): { ok: true; alarm: AlarmInfo } | { ok: false; reason: string } {
  const tags = boundedMap(fields.tags, { value: TEXT_LIMITS.value, total: TEXT_LIMITS.tagsTotal });
  if (!tags)
    return { ok: false, reason: `${at.tags}: the tag keys alone take more than ${TEXT_LIMITS.tagsTotal} bytes` };
  const dimensions = boundedMap(identity.dimensions, { value: TEXT_LIMITS.value, total: TEXT_LIMITS.dimensionsTotal });
  if (!dimensions)
    return {
      ok: false,
      reason: `${at.dimensions}: the dimension names alone take more than ${TEXT_LIMITS.dimensionsTotal} bytes`,
    };
  // A metric-math alarm's metrics share the dimensions' budget: each gets its part of it.
  const metrics =
    identity.type === 'metric-math'
      ? (identity.metrics ?? []).slice(0, TEXT_LIMITS.mathMetrics).map((metric) => ({
          ...(metric.namespace ? { namespace: cut(metric.namespace, TEXT_LIMITS.namespace) } : {}),
          dimensions:
            boundedMap(metric.dimensions, {
              value: TEXT_LIMITS.value,
              total: Math.floor(TEXT_LIMITS.dimensionsTotal / TEXT_LIMITS.mathMetrics),
            }) ?? {},
        }))
      : undefined;
  return {
    ok: true,
    alarm: {
      ...fields,
      ...(metrics ? { metrics } : {}),
      reason: cut(fields.reason, TEXT_LIMITS.reason),
      ...(fields.alarmRule ? { alarmRule: cut(fields.alarmRule, TEXT_LIMITS.alarmRule) } : {}),
      tags,
      type: identity.type,
      ...(identity.namespace ? { namespace: identity.namespace } : {}),
      ...(identity.metricName ? { metricName: identity.metricName } : {}),
      dimensions,
    },
  };
}

/** One SNS record carrying a CloudWatch alarm notification. */
export function normaliseSnsRecord(record: unknown, index: number, ctx: IngestContext): Normalised {
  const parsed = SnsAlarmRecordSchema.safeParse(record);
  if (!parsed.success) {
    return { status: 'rejected', reason: describeIssues(parsed.error, ['Records', String(index)]) };
  }
  const message = parsed.data.Sns.Message;
  const at = `Records.${index}.Sns`;
  // arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>, and the topic's arn:<partition>:sns:<region>:<account>:<name>
  const [, , , region = '', arnAccount = ''] = message.AlarmArn.split(':');
  const [, , topicService, topicRegion] = parsed.data.Sns.TopicArn.split(':');
  // CloudWatch writes both from the one alarm, and publishes only to a topic in the alarm's Region:
  // a message where they disagree was written by someone else.
  if (arnAccount !== message.AWSAccountId)
    return {
      status: 'rejected',
      reason: `${at}.Message.AlarmArn: names account ${arnAccount}, but AWSAccountId is ${message.AWSAccountId}`,
    };
  if (topicService !== 'sns' || topicRegion !== region)
    return {
      status: 'rejected',
      reason: `${at}.Message.AlarmArn: names Region ${region}, but the message came on TopicArn ${parsed.data.Sns.TopicArn.slice(0, 256)} (Region ${topicRegion ?? 'none'})`,
    };
  const identity = metricIdentityFromSns(message);
  const built = buildAlarm(
    {
      name: message.AlarmName,
      arn: message.AlarmArn,
      state: message.NewStateValue,
      ...(message.OldStateValue ? { previousState: message.OldStateValue } : {}),
      reason: message.NewStateReason ?? '',
      stateChangeTime: message.StateChangeTime,
      tags: message.AlarmTags ?? {},
      ...(message.AlarmRule ? { alarmRule: message.AlarmRule } : {}),
    },
    identity,
    { tags: `${at}.Message.AlarmTags`, dimensions: `${at}.Message.Trigger.Dimensions` },
  );
  if (!built.ok) return { status: 'rejected', reason: built.reason };
  return alarmIncident(built.alarm, message.AWSAccountId, region, ctx, `${at}.Message.StateChangeTime`);
}

export const SnsEventSchema = z.object({ Records: z.array(z.unknown()).min(1) });

// Names are never cut (they name what the platform acts on): past the service's own limit, rejected.
const CodeDeployDetailSchema = z.object({
  application: z.string().min(1).max(100, "longer than CodeDeploy's 100 characters"),
  deploymentGroup: z.string().min(1).max(100, "longer than CodeDeploy's 100 characters"),
  deploymentId: z.string().regex(/^d-[A-Z0-9]+$/, 'expected a CodeDeploy deployment id (d-XXXXXXXXX)'),
  state: z.string().min(1),
});

/** EC2 Instance Launch / Terminate Successful / Unsuccessful (Auto Scaling's lifecycle events). */
const AutoScalingLifecycleDetailSchema = z.object({
  AutoScalingGroupName: z.string().min(1).max(255, "longer than Auto Scaling's 255 characters"),
  EC2InstanceId: z.string().max(19, 'longer than an EC2 instance id').nullish(),
  StatusCode: z.string().nullish(),
  StatusMessage: z.string().nullish(),
  Cause: z.string().nullish(),
});

const AutomationStatusDetailSchema = z.object({
  ExecutionId: z.string().min(1).max(100),
  Status: z.string().min(1).max(50),
});

const Ec2StateDetailSchema = z.object({
  'instance-id': z.string().regex(/^i-[0-9a-f]{8,17}$/, 'expected an EC2 instance id'),
  state: z.string().min(1),
});

const EC2_ACTIONABLE_STATES = new Set(['stopped', 'terminated']);

type EventBridgeEvent = z.infer<typeof EventBridgeSchema>;

function eventIncident(
  event: EventBridgeEvent,
  ctx: IngestContext,
  fields: Pick<Incident, 'source' | 'summary' | 'target'> & { kind: string; readable: string; state?: string },
): Incident {
  // The envelope's own text is bounded here (envelopes.ts stays a copy of Powertools' schemas).
  const field = (text: string) => cut(text, TEXT_LIMITS.eventField);
  return {
    id: executionName(fields.kind, fields.readable, [event.source, event['detail-type'], event.id].join('|')),
    source: fields.source,
    summary: cut(fields.summary, TEXT_LIMITS.summary),
    account: event.account,
    region: event.region,
    receivedAt: ctx.receivedAt,
    detectedAt: event.time,
    dryRun: ctx.dryRun,
    event: {
      id: field(event.id),
      source: field(event.source),
      detailType: event['detail-type'],
      ...(fields.state ? { state: field(fields.state) } : {}),
      resources: event.resources.slice(0, TEXT_LIMITS.eventResources).map(field),
    },
    target: fields.target,
  };
}

function parseDetail<T extends z.ZodType>(
  schema: T,
  detail: unknown,
): { ok: true; value: z.infer<T> } | { ok: false; reason: string } {
  const parsed = schema.safeParse(detail);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, reason: describeIssues(parsed.error, ['detail']) };
}

/**
 * The alarm's ARN: the event's first resource, which must be an alarm ARN in the event's own account
 * and Region (like an SNS message's AlarmArn and AWSAccountId), or one made from them when none is listed.
 */
function alarmArnOf(
  event: EventBridgeEvent,
  alarmName: string,
): { ok: true; value: string } | { ok: false; reason: string } {
  const listed = event.resources[0];
  if (listed === undefined)
    return { ok: true, value: `arn:aws:cloudwatch:${event.region}:${event.account}:alarm:${alarmName}` };
  const arn = AlarmArnSchema.safeParse(listed);
  if (!arn.success) return { ok: false, reason: describeIssues(arn.error, ['resources', '0']) };
  const [, , , region, account] = arn.data.split(':');
  if (region !== event.region || account !== event.account)
    return {
      ok: false,
      reason: `resources.0: names account ${account}, Region ${region}, but the event is from account ${event.account}, Region ${event.region}`,
    };
  return { ok: true, value: arn.data };
}

/**
 * One EventBridge event. Throws {@link InvalidEventError} when the payload is not an
 * EventBridge event at all (Lambda retries, then dead-letters it); a known envelope with a
 * bad detail is `rejected` instead.
 */
export function normaliseEventBridge(raw: unknown, ctx: IngestContext): Normalised {
  const envelope = EventBridgeSchema.safeParse(raw);
  if (!envelope.success) {
    throw new InvalidEventError(`Not an EventBridge event: ${describeIssues(envelope.error)}`);
  }
  const event = envelope.data;
  // Events from another account or Region (a cross-account event bus, a copied rule) name resources
  // that are not this stack's: never plan, lock or spend budget for a same-named one here.
  if ((ctx.account && event.account !== ctx.account) || (ctx.region && event.region !== ctx.region))
    return {
      status: 'rejected',
      reason: `${event['detail-type']} from account ${event.account}, Region ${event.region}: this stack acts only in ${ctx.account ?? event.account}, ${ctx.region ?? event.region}`,
    };
  // Before any kind is told apart: no event dated ahead starts, wakes or decides anything.
  const future = fromTheFuture('time', event.time, ctx);
  if (future) return { status: 'rejected', reason: future };
  switch (event['detail-type']) {
    case 'CloudWatch Alarm State Change': {
      const detail = parseDetail(AlarmStateChangeDetailSchema, event.detail);
      if (!detail.ok) return { status: 'rejected', reason: detail.reason };
      const d = detail.value;
      const arn = alarmArnOf(event, d.alarmName);
      if (!arn.ok) return { status: 'rejected', reason: arn.reason };
      const built = buildAlarm(
        {
          name: d.alarmName,
          arn: arn.value,
          state: d.state.value,
          ...(d.previousState ? { previousState: d.previousState.value } : {}),
          reason: d.state.reason ?? '',
          stateChangeTime: d.state.timestamp,
          tags: d.alarmTags ?? {},
          ...(d.configuration.alarmRule ? { alarmRule: d.configuration.alarmRule } : {}),
        },
        metricIdentityFromEventBridge(d),
        { tags: 'detail.alarmTags', dimensions: 'detail.configuration.metrics' },
      );
      if (!built.ok) return { status: 'rejected', reason: built.reason };
      return alarmIncident(built.alarm, event.account, event.region, ctx, 'detail.state.timestamp');
    }
    case 'CodeDeploy Deployment State-change Notification': {
      const detail = parseDetail(CodeDeployDetailSchema, event.detail);
      if (!detail.ok) return { status: 'rejected', reason: detail.reason };
      const d = detail.value;
      const incident = eventIncident(event, ctx, {
        kind: 'deploy',
        readable: `${d.application}-${d.deploymentGroup}-${d.state}`,
        source: 'codedeploy',
        state: d.state,
        summary: `CodeDeploy ${d.deploymentId} ${d.state} (${d.application}/${d.deploymentGroup})`,
        target: {
          codedeploy: { application: d.application, deploymentGroup: d.deploymentGroup, deploymentId: d.deploymentId },
        },
      });
      const wakes = [waitKey.deployment(d.deploymentId)];
      return d.state === 'FAILURE'
        ? { status: 'incident', incident, wakes }
        : { status: 'ignored', incident, reason: `deployment state ${d.state} is not actionable`, wakes };
    }
    case 'EC2 Instance Launch Unsuccessful':
    case 'EC2 Instance Terminate Unsuccessful': {
      const detail = parseDetail(AutoScalingLifecycleDetailSchema, event.detail);
      if (!detail.ok) return { status: 'rejected', reason: detail.reason };
      const d = detail.value;
      const verb = event['detail-type'].includes('Launch') ? 'launch' : 'terminate';
      const incident = eventIncident(event, ctx, {
        kind: 'asg',
        readable: `${d.AutoScalingGroupName}-${verb}-failed`,
        source: 'autoscaling',
        state: d.StatusCode ?? 'Failed',
        summary: `${event['detail-type']} in ${d.AutoScalingGroupName}: ${d.StatusMessage ?? d.Cause ?? 'no message'}`,
        target: {
          autoScalingGroupName: d.AutoScalingGroupName,
          ...(d.EC2InstanceId ? { instanceId: d.EC2InstanceId } : {}),
        },
      });
      return { status: 'incident', incident, wakes: [waitKey.group(d.AutoScalingGroupName)] };
    }
    case 'EC2 Instance Launch Successful':
    case 'EC2 Instance Terminate Successful': {
      const detail = parseDetail(AutoScalingLifecycleDetailSchema, event.detail);
      if (!detail.ok) return { status: 'rejected', reason: detail.reason };
      return {
        status: 'ignored',
        reason: `${event['detail-type']} in ${detail.value.AutoScalingGroupName} is not an incident`,
        wakes: [waitKey.group(detail.value.AutoScalingGroupName)],
      };
    }
    case 'EC2 Automation Execution Status-change Notification': {
      const detail = parseDetail(AutomationStatusDetailSchema, event.detail);
      if (!detail.ok) return { status: 'rejected', reason: detail.reason };
      return {
        status: 'ignored',
        reason: `automation ${detail.value.ExecutionId} is ${detail.value.Status}: not an incident`,
        wakes: [waitKey.automation(detail.value.ExecutionId)],
      };
    }
    case 'EC2 Instance State-change Notification': {
      const detail = parseDetail(Ec2StateDetailSchema, event.detail);
      if (!detail.ok) return { status: 'rejected', reason: detail.reason };
      const d = detail.value;
      const incident = eventIncident(event, ctx, {
        kind: 'ec2',
        readable: `${d['instance-id']}-${d.state}`,
        source: 'ec2',
        state: d.state,
        summary: `EC2 instance ${d['instance-id']} is ${d.state}`,
        target: { instanceId: d['instance-id'] },
      });
      return EC2_ACTIONABLE_STATES.has(d.state)
        ? { status: 'incident', incident }
        : { status: 'ignored', incident, reason: `instance state ${d.state} is not actionable` };
    }
    default:
      return { status: 'rejected', reason: `detail-type: unsupported "${event['detail-type'].slice(0, 100)}"` };
  }
}
