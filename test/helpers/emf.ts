import { jest } from '@jest/globals';

interface EmfRecord {
  _aws: {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

/** Captures the EMF lines Powertools Metrics writes to stdout while `fn` runs. */
export async function captureMetrics<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; metrics: { name: string; value: unknown; dimensions: Record<string, unknown> }[] }> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(chunk.toString());
    return true;
  });
  try {
    const result = await fn();
    return { result, metrics: parseEmf(lines) };
  } finally {
    spy.mockRestore();
  }
}

function parseEmf(lines: string[]) {
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .flatMap((line) => {
      const record = JSON.parse(line) as EmfRecord;
      return record._aws.CloudWatchMetrics.flatMap((block) =>
        block.Metrics.map((metric) => ({
          name: metric.Name,
          // Powertools folds repeated addMetric calls into an array of values; CloudWatch sums them.
          value: Array.isArray(record[metric.Name])
            ? (record[metric.Name] as number[]).reduce((a, b) => a + b, 0)
            : record[metric.Name],
          dimensions: Object.fromEntries(block.Dimensions.flat().map((d) => [d, record[d]])),
        })),
      );
    });
}
