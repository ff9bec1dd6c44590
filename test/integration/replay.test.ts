import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadReplay } from '../../local/replay';
import { ROOT, runScript } from '../helpers/cli';

// Every recorded sequence in replays/ through `npm start -- --replay <file>`, each in its own
// process at 150× (recorded events are 90+ simulated seconds apart: 600 ms for each to be handled),
// process (the drill starts its own sandbox, and handler modules bind to the first one they see).
const files = readdirSync(join(ROOT, 'replays'))
  .filter((f) => f.endsWith('.json'))
  .sort();

interface ReplayReport {
  passed: boolean;
  replay: { checks: { event: number; description: string; ok: boolean; problems: string[] }[] };
  mutatingCalls: { operation: string; params: Record<string, unknown> }[];
}

// Each file is replayed once; later tests read the same report.
const reports = new Map<string, Promise<ReplayReport>>();
function replay(file: string): Promise<ReplayReport> {
  if (!reports.has(file)) reports.set(file, runReplay(file));
  return reports.get(file) as Promise<ReplayReport>;
}

async function runReplay(file: string): Promise<ReplayReport> {
  const { code, stdout, stderr } = await runScript('local/drill.ts', ['--replay', join('replays', file), '--json'], {
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  if (!stdout.startsWith('{')) throw new Error(`${file}: exit ${String(code)}\n${stderr.slice(-1000)}`);
  return JSON.parse(stdout) as ReplayReport;
}

describe('replay kit (replays/*.json)', () => {
  it('has the recorded sequences the issue names, each valid', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'alarm-storm.json',
        'deploy-then-error-rate.json',
        'flapping.json',
        'recovery-during-approval.json',
      ]),
    );
    for (const file of files) expect(loadReplay(join(ROOT, 'replays', file)).events.length).toBeGreaterThan(0);
  });

  it.each(files)(
    '%s leads to every decision it expects',
    async (file) => {
      const report = await replay(file);
      const failed = report.replay.checks
        .filter((c) => !c.ok)
        .map((c) => `#${c.event} ${c.description}: ${c.problems.join('; ')}`);
      expect(failed).toEqual([]);
      expect(report.replay.checks.length).toBeGreaterThan(0);
      expect(report.passed).toBe(true);
    },
    120_000,
  );

  it('acts once per incident in a storm of redeliveries', async () => {
    const report = await replay('alarm-storm.json');
    const targets = report.mutatingCalls.map((c) =>
      String(c.params.AutoScalingGroupName ?? c.params.applicationName ?? c.params.DocumentName),
    );
    expect(targets.sort()).toEqual(['AWS-RestartEC2Instance', 'checkout-asg', 'web-app', 'web-asg']);
  }, 120_000);

  it('makes no rollback when the alarm recovered while the approver decided', async () => {
    const report = await replay('recovery-during-approval.json');
    expect(report.mutatingCalls).toEqual([]);
  }, 120_000);
});
