// Floor: the smallest function the required stack allows: Powertools logger, metrics and tracer,
// one SDK client, middy and one zod schema, with no code of this project.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import middy from '@middy/core';
import * as z from 'zod';

const logger = new Logger({ serviceName: 'floor' });
const metrics = new Metrics({ namespace: 'Floor', serviceName: 'floor' });
const tracer = new Tracer({ serviceName: 'floor' });
const autoScaling = tracer.captureAWSv3Client(new AutoScalingClient({}));
const EventSchema = z.object({ group: z.string().min(1) });

export const handler = middy(async (event: unknown) => {
  const { group } = EventSchema.parse(event);
  logger.info('floor', { group, client: autoScaling.constructor.name });
  metrics.addMetric('Floor', 'Count', 1);
  return Promise.resolve({ group });
});
