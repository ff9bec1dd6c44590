import * as z from 'zod';
import {
  type AlarmInfo,
  type Incident,
  MAX_CLOCK_SKEW_SECONDS,
  alarmIncidentId,
  executionName,
  targetFromDimensions,
} from '../incident';
import { InvalidEventError } from '../errors';
import {
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

function alarmIncident(alarm: AlarmInfo, account: string, region: string, ctx: IngestContext): Normalised {
  // A same-named group in this account is not the alarm's: never plan, lock or spend budget for it.
  if ((ctx.account && account !== ctx.account) || (ctx.region && region !== ctx.region))
    return {
      status: 'rejected',
      reason: `alarm ${alarm.name} is in account ${account}, Region ${region}: this stack acts only in ${ctx.account ?? account}, ${ctx.region ?? region}`,
    };
  const incident: Incident = {
    id: alarmIncidentId(account, region, alarm.name, alarm.state, alarm.stateChangeTime),
    source: 'cloudwatch-alarm',
    summary: `${alarm.state} ${alarm.name} (${alarm.type === 'composite' ? 'composite' : (alarm.metricName ?? alarm.type)})`,
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
  if (Date.parse(alarm.stateChangeTime) > Date.parse(ctx.receivedAt) + MAX_CLOCK_SKEW_SECONDS * 1000) {
    // A future state-change time would switch off the maximum-age check: not an alarm to act on.
    return {
      status: 'rejected',
      reason: `state-change time ${alarm.stateChangeTime} is later than its arrival (${ctx.receivedAt}) by more than ${MAX_CLOCK_SKEW_SECONDS} s`,
    };
  }
  return { status: 'incident', incident };
}

function buildAlarm(
  fields: Omit<AlarmInfo, 'type' | 'namespace' | 'metricName' | 'dimensions'>,
  identity: MetricIdentity,
): AlarmInfo {
  return {
    ...fields,
    type: identity.type,
    ...(identity.namespace ? { namespace: identity.namespace } : {}),
    ...(identity.metricName ? { metricName: identity.metricName } : {}),
    dimensions: identity.dimensions,
  };
}

/** One SNS record carrying a CloudWatch alarm notification. */
export function normaliseSnsRecord(record: unknown, index: number, ctx: IngestContext): Normalised {
  const parsed = SnsAlarmRecordSchema.safeParse(record);
  if (!parsed.success) {
    return { status: 'rejected', reason: describeIssues(parsed.error, ['Records', String(index)]) };
  }
  const message = parsed.data.Sns.Message;
  const region = message.AlarmArn.split(':')[3] ?? '';
  const identity = metricIdentityFromSns(message);
  const alarm = buildAlarm(
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
  );
  return alarmIncident(alarm, message.AWSAccountId, region, ctx);
}

export const SnsEventSchema = z.object({ Records: z.array(z.unknown()).min(1) });

const CodeDeployDetailSchema = z.object({
  application: z.string().min(1),
  deploymentGroup: z.string().min(1),
  deploymentId: z.string().regex(/^d-[A-Z0-9]+$/, 'expected a CodeDeploy deployment id (d-XXXXXXXXX)'),
  state: z.string().min(1),
});

/** EC2 Instance Launch / Terminate Successful / Unsuccessful (Auto Scaling's lifecycle events). */
const AutoScalingLifecycleDetailSchema = z.object({
  AutoScalingGroupName: z.string().min(1),
  EC2InstanceId: z.string().nullish(),
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
  return {
    id: executionName(fields.kind, fields.readable, [event.source, event['detail-type'], event.id].join('|')),
    source: fields.source,
    summary: fields.summary,
    account: event.account,
    region: event.region,
    receivedAt: ctx.receivedAt,
    detectedAt: event.time,
    dryRun: ctx.dryRun,
    event: {
      id: event.id,
      source: event.source,
      detailType: event['detail-type'],
      ...(fields.state ? { state: fields.state } : {}),
      resources: event.resources,
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
  switch (event['detail-type']) {
    case 'CloudWatch Alarm State Change': {
      const detail = parseDetail(AlarmStateChangeDetailSchema, event.detail);
      if (!detail.ok) return { status: 'rejected', reason: detail.reason };
      const d = detail.value;
      const arn = event.resources[0] ?? `arn:aws:cloudwatch:${event.region}:${event.account}:alarm:${d.alarmName}`;
      const alarm = buildAlarm(
        {
          name: d.alarmName,
          arn,
          state: d.state.value,
          ...(d.previousState ? { previousState: d.previousState.value } : {}),
          reason: d.state.reason ?? '',
          stateChangeTime: d.state.timestamp,
          tags: d.alarmTags ?? {},
          ...(d.configuration.alarmRule ? { alarmRule: d.configuration.alarmRule } : {}),
        },
        metricIdentityFromEventBridge(d),
      );
      return alarmIncident(alarm, event.account, event.region, ctx);
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
