// Floor: the required Powertools tracer (it loads the X-Ray SDK) and nothing else.
import { Tracer } from '@aws-lambda-powertools/tracer';

const tracer = new Tracer({ serviceName: 'floor' });

export const handler = async (): Promise<{ tracing: boolean }> =>
  Promise.resolve({ tracing: tracer.isTracingEnabled() });
