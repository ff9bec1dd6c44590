import { describe, expect, it } from '@jest/globals';
import { runScript } from '../helpers/cli';

// The budget and shadow scenarios of `npm start`, each in its own process (its own sandbox, with
// the stack parameter it needs), against the real DynamoDB implementation (dynalite).

interface DrillReport {
  passed: boolean;
  incidents: {
    kind: string;
    rule: string;
    reason?: string;
    shadow?: { selfRecovered: boolean; wouldDo: string; timeToSelfRecoverSeconds?: number };
  }[];
  mutatingCalls: { operation: string }[];
  notifications: { subject?: string; severity?: string }[];
}

async function drill(scenario: string): Promise<DrillReport> {
  const { stdout, stderr } = await runScript('local/drill.ts', ['--scenario', scenario, '--json'], {
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  if (!stdout.startsWith('{')) throw new Error(stderr.slice(-1000));
  return JSON.parse(stdout) as DrillReport;
}

describe('fleet-wide remediation budget (RemediationBudgetPerHour=2)', () => {
  it('makes two changes in the hour (and a scale-out, on its own budget), then goes notify-only and says so loudly', async () => {
    const report = await drill('budget');

    expect(report.passed).toBe(true);
    expect(report.incidents.map((i) => i.kind).sort()).toEqual(['budget-exhausted', 'remediated', 'remediated']);
    expect(report.mutatingCalls.map((c) => c.operation).sort()).toEqual([
      'AutoScaling.SetDesiredCapacity',
      'SSM.StartAutomationExecution',
      'SSM.StartAutomationExecution',
    ]);
    const held = report.notifications.filter((n) => n.subject?.startsWith('[SelfHealing] BUDGET EXHAUSTED'));
    // SNS subjects stop at 100 characters: the alarm's name is cut short.
    expect(held).toEqual([
      {
        subject: expect.stringContaining('replace instance i-0b0b0b00000000002: worker-i-0b0b0b0') as never,
        severity: 'critical',
      },
    ]);
  }, 120_000);
});

describe('shadow mode (ShadowMode=true)', () => {
  it('changes nothing, records what it would have done and whether each alarm recovered by itself', async () => {
    const report = await drill('shadow');

    expect(report.passed).toBe(true);
    expect(report.mutatingCalls).toEqual([]);
    expect(report.notifications).toEqual([]);
    const byRule = Object.fromEntries(report.incidents.map((i) => [i.rule, i.shadow]));
    expect(byRule['high-cpu-scale-out']).toMatchObject({
      selfRecovered: true,
      wouldDo: 'set web-asg desired capacity 4 → 6',
      timeToSelfRecoverSeconds: expect.any(Number),
    });
    expect(byRule['system-status-check-restart']).toMatchObject({ selfRecovered: false });
  }, 120_000);
});
