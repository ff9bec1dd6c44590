import { describe, expect, it } from '@jest/globals';
import { runStorm } from '../../local/storm';

describe('alarm storm through the local runtime', () => {
  it('turns 1,000 notifications (duplicates and ALARM/OK/ALARM flapping for 20 groups) into exactly one scale-out per group', async () => {
    const report = await runStorm({ groups: 20, notifications: 1000, seed: 1 });

    // Every unique ALARM transition started exactly one execution; the rest were duplicates or OKs.
    expect(report.ingest.started).toBe(40);
    expect((report.ingest.started ?? 0) + (report.ingest.duplicate ?? 0) + (report.ingest.ignored ?? 0)).toBe(1000);
    expect(report.ingest.rejected).toBeUndefined();
    expect(report.executions).toBe(40);
    // One remediation per group; its flap, started in the same simulated instant, finds the target
    // locked. On virtual time this is the outcome at any machine load.
    expect(report.outcomes).toEqual({ succeeded: 20, 'skipped (InProgress)': 20 });
    expect(Object.keys(report.scaleOuts)).toHaveLength(20);
    expect(Object.values(report.scaleOuts).every((n) => n === 1)).toBe(true);
  }, 120_000);
});
