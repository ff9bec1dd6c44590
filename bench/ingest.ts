// Ingest throughput in-process: parse, validate, normalise and name the execution, for SNS alarm
// records and EventBridge events (the work AlarmIngestFunction / EventIngestFunction do per record
// before the StartExecution call).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { normaliseEventBridge, normaliseSnsRecord } from '../functions/shared/inbound/normalise';
import { ROOT } from '../local/template';

const SNS_FIXTURES = ['sns-alarm-cpu-high', 'sns-alarm-metric-math', 'sns-alarm-composite', 'sns-alarm-tagged', 'sns-alarm-status-check', 'sns-alarm-error-rate', 'sns-alarm-ok'];
const EVENTBRIDGE_FIXTURES = ['eventbridge-alarm-state-change', 'eventbridge-codedeploy-failure', 'eventbridge-asg-launch-unsuccessful', 'eventbridge-ec2-stopped', 'eventbridge-ec2-terminated'];
const load = (name: string): string => readFileSync(join(ROOT, 'events', `${name}.json`), 'utf8');

export interface Throughput {
  records: number;
  seconds: number;
  perSecond: number;
}

function measure(inputs: string[], normalise: (raw: unknown, i: number) => { status: string }, seconds: number): Throughput {
  let records = 0;
  // Warm up the JIT, then count whole passes over the fixtures until the time is up.
  for (let i = 0; i < 2000; i += 1) normalise(JSON.parse(inputs[i % inputs.length] as string), i);
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    for (let i = 0; i < inputs.length; i += 1) {
      // A fresh parse per record: Lambda hands each invocation a newly deserialised event.
      const result = normalise(JSON.parse(inputs[i] as string), records);
      if (result.status === 'rejected') throw new Error(`fixture rejected: ${JSON.stringify(result)}`);
      records += 1;
    }
    elapsed = performance.now() - started;
  }
  return { records, seconds: elapsed / 1000, perSecond: Math.round(records / (elapsed / 1000)) };
}

export function ingestThroughput(seconds = 2): { sns: Throughput; eventBridge: Throughput } {
  const ctx = { receivedAt: new Date().toISOString(), dryRun: false };
  const snsRecords = SNS_FIXTURES.map((name) => JSON.stringify((JSON.parse(load(name)) as { Records: unknown[] }).Records[0]));
  const events = EVENTBRIDGE_FIXTURES.map(load);
  return {
    sns: measure(snsRecords, (raw, i) => normaliseSnsRecord(raw, i, ctx), seconds),
    eventBridge: measure(events, (raw) => normaliseEventBridge(raw, ctx), seconds),
  };
}

// Run alone (bench/run.ts starts it in a fresh process, away from the build's esbuild service).
if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(JSON.stringify(ingestThroughput(Number(process.argv[2] ?? 2))));
}
