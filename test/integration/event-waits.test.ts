import { describe, expect, it } from '@jest/globals';
import { runScript } from '../helpers/cli';

// Issue 18: the workflow waits on events, and a lost event costs only time (each drill runs in a
// process of its own: handler modules bind their SDK clients to the first sandbox they see).
interface Report {
  passed: boolean;
  mttr: { incidents: number; platformLag: { p50: number; p95: number } };
  incidents: {
    incident: string;
    kind: string;
    verified: boolean;
    mttr?: { platformLagSeconds?: number };
    functionsToFirstChange: string[] | null;
  }[];
  deliveries: { description: string; results: { resumed?: number }[] }[];
}

async function drill(args: string[]): Promise<Report> {
  const { code, stdout, stderr } = await runScript('local/drill.ts', ['--json', ...args]);
  expect([code, code === 0 ? '' : stderr.slice(-800)]).toEqual([0, '']);
  return JSON.parse(stdout) as Report;
}

const resumedBy = (report: Report, text: string) =>
  report.deliveries
    .filter((d) => d.description.includes(text))
    .reduce((n, d) => n + d.results.reduce((m, r) => m + (r.resumed ?? 0), 0), 0);

describe('waiting on events', () => {
  it('records each recovery within 2 simulated seconds of the alarm returning to OK', async () => {
    const report = await drill([]);

    expect(report.passed).toBe(true);
    expect(report.mttr.incidents).toBe(7);
    expect(report.mttr.platformLag.p95).toBeLessThanOrEqual(2);
    // The events did the waking: runbooks, group activities and alarms ended waits. (The game
    // day's deployments end exactly when a wait's timeout does, so either may end those.)
    expect(resumedBy(report, 'EC2 Automation Execution Status-change')).toBeGreaterThan(0);
    expect(resumedBy(report, 'EC2 Instance')).toBeGreaterThan(0);
    expect(resumedBy(report, '→ OK')).toBeGreaterThan(0);
    // After an idle night every function on the way to the first change starts cold: ingest, the
    // plan-and-guard function and the action's own, plus the change correlation where a rule asks for it.
    const coldPaths = report.incidents.flatMap((i) => (i.functionsToFirstChange ? [i.functionsToFirstChange] : []));
    expect(coldPaths.length).toBeGreaterThan(0);
    expect(coldPaths.filter((path) => !path.includes('CorrelateChangeFunction')).map((path) => path.length)).toEqual(
      expect.arrayContaining([3]),
    );
    expect(Math.max(...coldPaths.map((path) => path.length))).toBeLessThanOrEqual(4);
  }, 120_000);

  it('still verifies every recovery when every OK event is lost, by the fallback read after the wait times out', async () => {
    const report = await drill(['--lose-events', '→ OK']);

    expect(report.passed).toBe(true);
    const remediated = report.incidents.filter((i) => i.kind === 'remediated');
    expect(remediated).toHaveLength(7);
    expect(remediated.every((i) => i.verified)).toBe(true);
    expect(resumedBy(report, '→ OK')).toBe(0);
    // Verified by the poll the wait fell back to: later than the event would have been, never lost.
    expect(report.mttr.platformLag.p95).toBeGreaterThan(2);
  }, 120_000);
});
