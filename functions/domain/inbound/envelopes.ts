import * as z from 'zod';

// The SNS record and EventBridge envelopes, field for field as Powertools parser's
// SnsRecordSchema / EventBridgeSchema and its JSONStringified helper define them. Hand-copied
// because those modules import `{ z }` from zod, which defeats esbuild's tree-shaking and adds
// every zod locale (~350 KB) to each ingest bundle; test/unit/envelopes.test.ts keeps the copies
// equal to the originals on the fixtures and on broken envelopes.

const SnsMessageAttributeSchema = z.object({ Type: z.string(), Value: z.string() });

export const SnsNotificationSchema = z.object({
  Subject: z.string().nullish(),
  TopicArn: z.string(),
  UnsubscribeUrl: z.url(),
  UnsubscribeURL: z.url().optional(),
  SigningCertUrl: z.url().optional(),
  SigningCertURL: z.url().optional(),
  Type: z.literal('Notification'),
  MessageAttributes: z.record(z.string(), SnsMessageAttributeSchema).optional(),
  Message: z.string(),
  MessageId: z.string(),
  Signature: z.string().optional(),
  SignatureVersion: z.string().optional(),
  Timestamp: z.iso.datetime(),
});

export const SnsRecordSchema = z.object({
  EventSource: z.literal('aws:sns'),
  EventVersion: z.string(),
  EventSubscriptionArn: z.string(),
  Sns: SnsNotificationSchema,
});

export const EventBridgeSchema = z.object({
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': z.string().optional(),
});

/** A string holding JSON, parsed and then validated by `schema`; bad JSON is a fatal issue. */
export function JSONStringified<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `Invalid JSON - ${(error as Error).message}`, fatal: true });
        return z.NEVER;
      }
    })
    .pipe(schema);
}
