// npm run storm — an alarm storm through the local runtime: N notifications for G Auto Scaling
// groups, each alarm flapping ALARM → OK → ALARM and every notification redelivered many times,
// in a shuffled order. Expected: exactly one scale-out per group, nothing lost, nothing doubled.
import { parseArgs } from 'node:util';
import type { IngestResponse } from '../functions/aws/ingest';
import { invokeLocally, lambdaContext } from './lambda-context';
import { snsAlarmNotification } from './scenarios';
import { type Alarm, Fleet } from './sandbox/fleet';
import { simulationRandom } from './sim/random';
import { startSimulation } from './sim/simulation';
import type { Clock } from './sandbox/fleet';
import type { LambdaHandler } from './workflow';

export interface StormReport {
  seed: number;
  groups: number;
  notifications: number;
  uniqueTransitions: number;
  ingest: Record<string, number>;
  executions: number;
  outcomes: Record<string, number>;
  scaleOuts: Record<string, number>;
  wallSeconds: number;
  notificationsPerSecond: number;
}

function stormFleet(clock: Clock, names: string[]): Fleet {
  const fleet = new Fleet(clock);
  for (const name of names) {
    fleet.addGroup({
      name,
      minSize: 1,
      maxSize: 10,
      desired: 4,
      launchSeconds: 30,
      tags: { 'selfhealing:managed': 'true' },
    });
    // Load four instances cannot carry (the alarm is in ALARM when an action re-reads it) and six can
    // (4 → 6 stays within the default policy's +50 % approval threshold):
    // after the scale-out it returns to OK, which the workflow verifies.
    fleet.addAlarm({
      name: `${name}-cpu-high`,
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensions: { AutoScalingGroupName: name },
      delivery: 'sns',
      condition: { kind: 'cpu', groupName: name, demand: 400, threshold: 80 },
    });
    fleet.setAlarmState(`${name}-cpu-high`, 'ALARM', 'storm');
  }
  return fleet;
}

export async function runStorm(options: { groups: number; notifications: number; seed: number }): Promise<StormReport> {
  // Virtual time: the same seed gives the same storm and the same decisions at any machine load.
  const names = Array.from({ length: options.groups }, (_, i) => `storm-asg-${String(i + 1).padStart(2, '0')}`);
  const simulation = await startSimulation({ seed: options.seed, fleet: (clock) => stormFleet(clock, names) });
  const { clock, sandbox } = simulation;
  const fleet = sandbox.fleet;
  const random = simulationRandom();
  const ingest = sandbox.handlers.AlarmIngestFunction as LambdaHandler;

  // Each alarm flaps ALARM → OK → ALARM one minute apart: three distinct transitions.
  const start = clock.now();
  const transitions = names.flatMap((name, g) =>
    (['ALARM', 'OK', 'ALARM'] as const).map((state, step) => {
      const alarm = fleet.alarms.get(`${name}-cpu-high`) as Alarm;
      const snapshot: Alarm = { ...alarm, state, reason: `storm ${state}`, updatedAt: start - (3 - step) * 60_000 + g };
      return snsAlarmNotification(fleet, snapshot, step === 1 ? 'ALARM' : 'OK');
    }),
  );
  const deliveries = Array.from(
    { length: options.notifications },
    (_, i) => transitions[i < transitions.length ? i : Math.floor(random.float() * transitions.length)],
  );
  for (let i = deliveries.length - 1; i > 0; i--) {
    const j = Math.floor(random.float() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
  }

  const began = performance.now();
  const ingestCounts: Record<string, number> = {};
  // Ten deliveries at a time, as concurrent Lambda invocations would arrive.
  for (let i = 0; i < deliveries.length; i += 10) {
    const batch = deliveries.slice(i, i + 10);
    const responses = await Promise.all(
      batch.map(
        (event) =>
          invokeLocally(
            ingest,
            structuredClone(event),
            lambdaContext('AlarmIngestFunction'),
          ) as Promise<IngestResponse>,
      ),
    );
    for (const result of responses.flatMap((r) => r.results))
      ingestCounts[result.status] = (ingestCounts[result.status] ?? 0) + 1;
  }
  await sandbox.settle();
  const wallSeconds = (performance.now() - began) / 1000;
  await simulation.finish();

  const outcomes: Record<string, number> = {};
  for (const execution of sandbox.executions.values()) {
    const output = (execution.run?.output ?? {}) as { record?: { outcome?: string; reason?: string } };
    const key = `${output.record?.outcome ?? execution.status}${output.record?.reason ? ` (${output.record.reason})` : ''}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  const scaleOuts: Record<string, number> = {};
  for (const call of sandbox.mutatingCalls()) {
    const group = String(call.params.AutoScalingGroupName);
    scaleOuts[group] = (scaleOuts[group] ?? 0) + 1;
  }
  return {
    seed: options.seed,
    groups: options.groups,
    notifications: deliveries.length,
    uniqueTransitions: transitions.length,
    ingest: ingestCounts,
    executions: sandbox.executions.size,
    outcomes,
    scaleOuts,
    wallSeconds: Math.round(wallSeconds * 100) / 100,
    notificationsPerSecond: Math.round(deliveries.length / wallSeconds),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      groups: { type: 'string', default: '20' },
      notifications: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '1' },
    },
  });
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: string | Uint8Array) => (chunk.toString().startsWith('{') ? true : write(chunk));
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const report = await runStorm({
    groups: Number(values.groups),
    notifications: Number(values.notifications),
    seed: Number(values.seed),
  });
  write(`${JSON.stringify(report, null, 2)}\n`);
  const exact =
    Object.keys(report.scaleOuts).length === report.groups && Object.values(report.scaleOuts).every((n) => n === 1);
  write(
    exact
      ? `PASS: exactly one scale-out for each of ${report.groups} groups (seed ${report.seed})\n`
      : `FAIL: scale-outs are not exactly one per group\nReproduce: npm run storm -- --groups ${report.groups} --notifications ${report.notifications} --seed ${report.seed}\n`,
  );
  process.exitCode = exact ? 0 : 1;
}
