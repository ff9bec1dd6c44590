import * as z from 'zod';
import { AlarmStateSchema, AwsTimestampSchema } from '../incident';

// Powertools parser has no CloudWatch alarm schema (TOOL-NOTES), so these follow the
// documented payloads: the SNS alarm notification and the EventBridge state-change detail.

/** Alarm tags arrive either as a key→value object or as a list of Key/Value pairs. */
export const AlarmTagsSchema = z
  .union([z.record(z.string(), z.string()), z.array(z.object({ Key: z.string(), Value: z.string() }))])
  .transform((tags) => (Array.isArray(tags) ? Object.fromEntries(tags.map((t) => [t.Key, t.Value])) : tags));

// SNS alarm JSON uses lower-case name/value in Trigger dimensions; accept the capitalised form too.
const SnsDimensionSchema = z
  .union([z.object({ name: z.string(), value: z.string() }), z.object({ Name: z.string(), Value: z.string() })])
  .transform((d) => ('name' in d ? d : { name: d.Name, value: d.Value }));
const SnsDimensionsSchema = z
  .array(SnsDimensionSchema)
  .nullish()
  .transform((list) => list ?? []);

const SnsMetricDataQuerySchema = z.object({
  Id: z.string(),
  Expression: z.string().nullish(),
  Label: z.string().nullish(),
  ReturnData: z.boolean().nullish(),
  MetricStat: z
    .object({
      Metric: z.object({
        Namespace: z.string().nullish(),
        MetricName: z.string(),
        Dimensions: SnsDimensionsSchema,
      }),
      Period: z.number().nullish(),
      Stat: z.string().nullish(),
    })
    .nullish(),
});

const SnsTriggerSchema = z
  .object({
    MetricName: z.string().nullish(),
    Namespace: z.string().nullish(),
    Dimensions: SnsDimensionsSchema,
    Metrics: z.array(SnsMetricDataQuerySchema).nullish(),
  })
  .refine((t) => Boolean(t.MetricName) || (t.Metrics?.length ?? 0) > 0, {
    message: 'needs MetricName (single-metric alarm) or Metrics[] (metric-math alarm)',
    path: ['MetricName'],
  });

const AlarmArnSchema = z
  .string()
  .regex(/^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$/, 'expected a CloudWatch alarm ARN');

export const SnsAlarmMessageSchema = z
  .object({
    AlarmName: z.string().min(1).max(255),
    AlarmArn: AlarmArnSchema,
    AWSAccountId: z.string().regex(/^\d{12}$/, 'expected a 12-digit account id'),
    NewStateValue: AlarmStateSchema,
    OldStateValue: AlarmStateSchema.nullish(),
    NewStateReason: z.string().nullish(),
    StateChangeTime: AwsTimestampSchema,
    Trigger: SnsTriggerSchema.nullish(),
    AlarmRule: z.string().nullish(),
    AlarmTags: AlarmTagsSchema.nullish(),
  })
  .refine((m) => Boolean(m.Trigger) || Boolean(m.AlarmRule), {
    message: 'needs Trigger (metric alarm) or AlarmRule (composite alarm)',
    path: ['Trigger'],
  });
export type SnsAlarmMessage = z.infer<typeof SnsAlarmMessageSchema>;

const EventBridgeMetricSchema = z.object({
  id: z.string(),
  expression: z.string().nullish(),
  returnData: z.boolean().nullish(),
  metricStat: z
    .object({
      metric: z.object({
        namespace: z.string().nullish(),
        name: z.string(),
        dimensions: z.record(z.string(), z.string()).nullish(),
      }),
      period: z.number().nullish(),
      stat: z.string().nullish(),
    })
    .nullish(),
});

const EventBridgeAlarmStateSchema = z.object({
  value: AlarmStateSchema,
  reason: z.string().nullish(),
  timestamp: AwsTimestampSchema,
});

export const AlarmStateChangeDetailSchema = z.object({
  alarmName: z.string().min(1).max(255),
  state: EventBridgeAlarmStateSchema,
  previousState: EventBridgeAlarmStateSchema.partial({ timestamp: true, reason: true }).nullish(),
  configuration: z
    .object({
      metrics: z.array(EventBridgeMetricSchema).nullish(),
      alarmRule: z.string().nullish(),
    })
    .refine((c) => (c.metrics?.length ?? 0) > 0 || Boolean(c.alarmRule), {
      message: 'needs metrics[] (metric alarm) or alarmRule (composite alarm)',
      path: ['metrics'],
    }),
  alarmTags: AlarmTagsSchema.nullish(),
});
export type AlarmStateChangeDetail = z.infer<typeof AlarmStateChangeDetailSchema>;

export interface MetricIdentity {
  type: 'metric' | 'metric-math' | 'composite';
  namespace?: string;
  metricName?: string;
  dimensions: Record<string, string>;
}

interface MetricStatLike {
  namespace?: string | null;
  metricName: string;
  dimensions: Record<string, string>;
  returnData: boolean;
}

/**
 * A metric-math alarm has several metrics: report the first one that returns data, else the
 * first one, and merge every metric's dimensions (first wins) so rules can still match on them.
 */
function fromMetricStats(stats: MetricStatLike[]): MetricIdentity {
  const primary = stats.find((s) => s.returnData) ?? stats[0];
  const dimensions: Record<string, string> = {};
  for (const stat of stats) {
    for (const [key, value] of Object.entries(stat.dimensions)) dimensions[key] ??= value;
  }
  return {
    type: stats.length === 1 && primary?.returnData !== false ? 'metric' : 'metric-math',
    ...(primary?.namespace ? { namespace: primary.namespace } : {}),
    ...(primary ? { metricName: primary.metricName } : {}),
    dimensions,
  };
}

export function metricIdentityFromSns(message: SnsAlarmMessage): MetricIdentity {
  const trigger = message.Trigger;
  if (!trigger) return { type: 'composite', dimensions: {} };
  if (trigger.MetricName) {
    return {
      type: 'metric',
      ...(trigger.Namespace ? { namespace: trigger.Namespace } : {}),
      metricName: trigger.MetricName,
      dimensions: Object.fromEntries(trigger.Dimensions.map((d) => [d.name, d.value])),
    };
  }
  const stats = (trigger.Metrics ?? []).flatMap((m) =>
    m.MetricStat
      ? [
          {
            namespace: m.MetricStat.Metric.Namespace,
            metricName: m.MetricStat.Metric.MetricName,
            dimensions: Object.fromEntries(m.MetricStat.Metric.Dimensions.map((d) => [d.name, d.value])),
            returnData: m.ReturnData ?? false,
          },
        ]
      : [],
  );
  return { ...fromMetricStats(stats), type: 'metric-math' };
}

export function metricIdentityFromEventBridge(detail: AlarmStateChangeDetail): MetricIdentity {
  const metrics = detail.configuration.metrics ?? [];
  if (metrics.length === 0) return { type: 'composite', dimensions: {} };
  const stats = metrics.flatMap((m) =>
    m.metricStat
      ? [
          {
            namespace: m.metricStat.metric.namespace,
            metricName: m.metricStat.metric.name,
            dimensions: m.metricStat.metric.dimensions ?? {},
            returnData: m.returnData ?? true,
          },
        ]
      : [],
  );
  const identity = fromMetricStats(stats);
  const isMath = metrics.length > 1 || metrics.some((m) => Boolean(m.expression));
  return { ...identity, type: isMath ? 'metric-math' : 'metric' };
}
