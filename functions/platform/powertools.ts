import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { stringEnv } from './env';

// One instance of each per function; service name and namespace come from template Globals.
export const environmentName = stringEnv('ENVIRONMENT', 'dev');
export const logger = new Logger();
export const tracer = new Tracer();
export const metrics = new Metrics({
  namespace: stringEnv('POWERTOOLS_METRICS_NAMESPACE', 'SelfHealing'),
  defaultDimensions: { Environment: environmentName },
  // Read-only steps add no metric on most calls, so Powertools' "No application metrics to publish"
  // is expected there: debug, not a warning on every poll. Its other warnings stay warnings.
  logger: {
    debug: (...args: unknown[]) => logger.debug(String(args[0])),
    info: (...args: unknown[]) => logger.info(String(args[0])),
    error: (...args: unknown[]) => logger.error(String(args[0])),
    warn: (...args: unknown[]) => {
      const message = String(args[0]);
      if (message.startsWith('No application metrics to publish')) logger.debug(message);
      else logger.warn(message);
    },
  },
});

/** Emits metrics computed by the domain; each has its own dimension set, so each goes out as its own EMF record. */
export function emitMetricRecords(
  records: { name: string; unit: 'Count' | 'Seconds'; value: number; dimensions: Record<string, string> }[],
): void {
  for (const metric of records) {
    const single = metrics.singleMetric();
    for (const [name, value] of Object.entries(metric.dimensions)) single.addDimension(name, value);
    single.addMetric(metric.name, metric.unit === 'Seconds' ? MetricUnit.Seconds : MetricUnit.Count, metric.value);
  }
}
