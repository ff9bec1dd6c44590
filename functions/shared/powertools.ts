import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { stringEnv } from './env';

// One instance of each per function; service name and namespace come from template Globals.
export const environmentName = stringEnv('ENVIRONMENT', 'dev');
export const logger = new Logger();
export const tracer = new Tracer();
export const metrics = new Metrics({
  namespace: stringEnv('POWERTOOLS_METRICS_NAMESPACE', 'SelfHealing'),
  defaultDimensions: { Environment: environmentName },
});
