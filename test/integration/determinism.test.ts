import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { runScript } from '../helpers/cli';

// Virtual time: the drill's clock moves only when nothing is runnable, work runs one piece at a
// time in a stable order, and every random choice comes from the seed. So a seed reproduces a run
// byte for byte in another process, while another run loads the machine.
interface DrillReport {
  passed: boolean;
  seed: number;
  injectedFaults: number;
  callLog: unknown[];
}

async function drill(seed: number): Promise<DrillReport> {
  const { code, stdout, stderr } = await runScript(
    'local/drill.ts',
    ['--json', '--faults', '*:throttle=0.3,5xx=0.05', '--seed', String(seed)],
    { POWERTOOLS_LOG_LEVEL: 'ERROR' },
  );
  // Exit 1 is a run that failed its checks (under these faults an execution may fail loudly): its
  // call log still is what determinism is about. Anything else is a crash.
  if (code !== 0 && !(code === 1 && stdout.startsWith('{')))
    throw new Error(`drill --seed ${seed} exited ${code}: ${stderr.slice(-2000)}`);
  return JSON.parse(stdout) as DrillReport;
}
const digest = (report: DrillReport) => createHash('sha256').update(JSON.stringify(report.callLog)).digest('hex');

describe('deterministic simulation', () => {
  it('replays a seed exactly: the same call log, byte for byte, from two processes running side by side', async () => {
    const [first, second] = await Promise.all([drill(11), drill(11)]);

    expect(first.passed).toBe(true);
    expect(first.injectedFaults).toBeGreaterThan(10);
    expect(digest(second)).toBe(digest(first));
  }, 120_000);

  it('draws other faults from another seed', async () => {
    const [eleven, twelve] = await Promise.all([drill(11), drill(12)]);

    expect(digest(twelve)).not.toBe(digest(eleven));
  }, 120_000);

  // The sandbox's HTTP Date follows the virtual clock. When it was the real date, the SDK saw a
  // skewed clock, corrected its offset and retried some calls once, as machine load decided:
  // this replay then made 165 to 168 calls. One StartExecution per delivery, no more.
  it('makes exactly one StartExecution per delivery of a replayed alarm storm', async () => {
    const { code, stdout } = await runScript('local/drill.ts', ['--json', '--replay', 'replays/alarm-storm.json'], {
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const report = JSON.parse(stdout) as {
      deliveries: { results: { status: string }[] }[];
      callLog: { operation: string }[];
    };
    const starts = report.callLog.filter((c) => c.operation === 'StepFunctions.StartExecution').length;
    const startedOrDuplicate = report.deliveries
      .flatMap((d) => d.results)
      .filter((r) => r.status === 'started' || r.status === 'duplicate');

    expect(code).toBe(0);
    expect(startedOrDuplicate).toHaveLength(85);
    expect(starts).toBe(85);
  }, 120_000);
});
