// Ingest throughput in-process: parse, validate, normalise and name the execution, for SNS alarm
// records and EventBridge events (the work AlarmIngestFunction / EventIngestFunction do per record
// before the StartExecution call).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { normaliseEventBridge, normaliseSnsRecord } from '../functions/domain/inbound/normalise';
import { ROOT } from '../local/template';
import { median } from './stats';

const SNS_FIXTURES = [
  'sns-alarm-cpu-high',
  'sns-alarm-metric-math',
  'sns-alarm-composite',
  'sns-alarm-tagged',
  'sns-alarm-status-check',
  'sns-alarm-error-rate',
  'sns-alarm-ok',
];
const EVENTBRIDGE_FIXTURES = [
  'eventbridge-alarm-state-change',
  'eventbridge-codedeploy-failure',
  'eventbridge-asg-launch-unsuccessful',
  'eventbridge-ec2-stopped',
  'eventbridge-ec2-terminated',
];
const load = (name: string): string => readFileSync(join(ROOT, 'events', `${name}.json`), 'utf8');

export interface Throughput {
  records: number;
  seconds: number;
  /** Median of the windows' rates: a few slow windows (another process taking the CPU) do not move it. */
  perSecond: number;
  /** Each window's rate, records per second. */
  windows: number[];
}

function measure(
  inputs: string[],
  normalise: (raw: unknown, i: number) => { status: string },
  seconds: number,
  windows: number,
): Throughput {
  let records = 0;
  // Warm up the JIT, then count whole passes over the fixtures in equal windows of time.
  for (let i = 0; i < 2000; i += 1) normalise(JSON.parse(inputs[i % inputs.length] as string), i);
  const rates: number[] = [];
  let total = 0;
  for (let w = 0; w < windows; w += 1) {
    const started = performance.now();
    let elapsed = 0;
    let inWindow = 0;
    while (elapsed < (seconds * 1000) / windows) {
      for (let i = 0; i < inputs.length; i += 1) {
        // A fresh parse per record: Lambda hands each invocation a newly deserialised event.
        const result = normalise(JSON.parse(inputs[i] as string), records);
        if (result.status === 'rejected') throw new Error(`fixture rejected: ${JSON.stringify(result)}`);
        records += 1;
        inWindow += 1;
      }
      elapsed = performance.now() - started;
    }
    total += elapsed;
    rates.push(Math.round(inWindow / (elapsed / 1000)));
  }
  return { records, seconds: total / 1000, perSecond: median(rates), windows: rates };
}

export function ingestThroughput(seconds = 2.5, windows = 5): { sns: Throughput; eventBridge: Throughput } {
  const ctx = { receivedAt: new Date().toISOString(), dryRun: false };
  const snsRecords = SNS_FIXTURES.map((name) =>
    JSON.stringify((JSON.parse(load(name)) as { Records: unknown[] }).Records[0]),
  );
  const events = EVENTBRIDGE_FIXTURES.map(load);
  return {
    sns: measure(snsRecords, (raw, i) => normaliseSnsRecord(raw, i, ctx), seconds, windows),
    eventBridge: measure(events, (raw) => normaliseEventBridge(raw, ctx), seconds, windows),
  };
}

// Run alone (bench/run.ts starts it in a fresh process, away from the build's esbuild service).
if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(JSON.stringify(ingestThroughput(Number(process.argv[2] ?? 2.5))));
}
