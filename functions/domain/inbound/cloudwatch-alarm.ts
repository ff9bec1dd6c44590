import * as z from 'zod';
import { AlarmStateSchema, AwsTimestampSchema, TEXT_LIMITS } from '../incident';

// Powertools parser has no CloudWatch alarm schema (TOOL-NOTES), so these follow the
// documented payloads: the SNS alarm notification and the EventBridge state-change detail.

// CloudWatch's own limits (domain/incident.ts TEXT_LIMITS): a payload past them did not come from CloudWatch.
const atMost = (limit: number, what: string) => `more than ${limit} ${what} (CloudWatch's limit)`;
const keysAtMost = (limit: number) => (map: Record<string, string>) =>
  Object.keys(map).every((key) => key.length <= limit);

/** CloudWatch: UTF-8, and no ASCII control characters (a lone surrogate is not UTF-8). */
const NO_CONTROL_CHARACTERS = /^[^\x00-\x1F\x7F\p{Cs}]*$/u;

const AlarmNameSchema = z
  .string()
  .min(1)
  .max(TEXT_LIMITS.alarmName)
  .regex(NO_CONTROL_CHARACTERS, 'has a control character, which CloudWatch does not allow in a name');

const MetricNameSchema = z.string().max(TEXT_LIMITS.metricName);
const NamespaceSchema = z.string().max(TEXT_LIMITS.namespace);

/** Alarm tags arrive either as a key→value object or as a list of Key/Value pairs. */
export const AlarmTagsSchema = z
  .union([z.record(z.string(), z.string()), z.array(z.object({ Key: z.string(), Value: z.string() }))])
  .transform((tags) => (Array.isArray(tags) ? Object.fromEntries(tags.map((t) => [t.Key, t.Value])) : tags))
  .refine((tags) => Object.keys(tags).length <= TEXT_LIMITS.tags, atMost(TEXT_LIMITS.tags, 'tags'))
  .refine(keysAtMost(TEXT_LIMITS.tagKey), atMost(TEXT_LIMITS.tagKey, 'characters in a tag key'));

// SNS alarm JSON uses lower-case name/value in Trigger dimensions; accept the capitalised form too.
const SnsDimensionSchema = z
  .union([z.object({ name: z.string(), value: z.string() }), z.object({ Name: z.string(), Value: z.string() })])
  .transform((d) => ('name' in d ? d : { name: d.Name, value: d.Value }))
  .refine((d) => d.name.length <= TEXT_LIMITS.dimensionName, {
    message: atMost(TEXT_LIMITS.dimensionName, 'characters in a dimension name'),
    path: ['name'],
  });
const SnsDimensionsSchema = z
  .array(SnsDimensionSchema)
  .max(TEXT_LIMITS.dimensions, atMost(TEXT_LIMITS.dimensions, 'dimensions'))
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
        Namespace: NamespaceSchema.nullish(),
        MetricName: MetricNameSchema,
        Dimensions: SnsDimensionsSchema,
      }),
      Period: z.number().nullish(),
      Stat: z.string().nullish(),
    })
    .nullish(),
});

const SnsTriggerSchema = z
  .object({
    MetricName: MetricNameSchema.nullish(),
    Namespace: NamespaceSchema.nullish(),
    Dimensions: SnsDimensionsSchema,
    Metrics: z.array(SnsMetricDataQuerySchema).nullish(),
  })
  .refine((t) => Boolean(t.MetricName) || (t.Metrics?.length ?? 0) > 0, {
    message: 'needs MetricName (single-metric alarm) or Metrics[] (metric-math alarm)',
    path: ['MetricName'],
  });

export const AlarmArnSchema = z
  .string()
  .max(TEXT_LIMITS.alarmArn)
  .regex(/^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$/, 'expected a CloudWatch alarm ARN')
  .regex(NO_CONTROL_CHARACTERS, 'has a control character, which CloudWatch does not allow in a name');

export const SnsAlarmMessageSchema = z
  .object({
    AlarmName: AlarmNameSchema,
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
        namespace: NamespaceSchema.nullish(),
        name: MetricNameSchema,
        dimensions: z
          .record(z.string(), z.string())
          .refine((d) => Object.keys(d).length <= TEXT_LIMITS.dimensions, atMost(TEXT_LIMITS.dimensions, 'dimensions'))
          .refine(
            keysAtMost(TEXT_LIMITS.dimensionName),
            atMost(TEXT_LIMITS.dimensionName, 'characters in a dimension name'),
          )
          .nullish(),
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
  alarmName: AlarmNameSchema,
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
  /** A metric-math alarm's metrics, each with its own namespace and dimensions. */
  metrics?: { namespace?: string; dimensions: Record<string, string> }[];
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
    // Each metric on its own: only a dimension of a metric in a trusted namespace names a target.
    metrics: stats.map((s) => ({ ...(s.namespace ? { namespace: s.namespace } : {}), dimensions: s.dimensions })),
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
