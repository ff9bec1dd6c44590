import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { useSimulatedClock } from '../../functions/platform/clock';
import { BUILD_DIR } from '../../scripts/build';
import { bundlesUnderTest, describeBuilt } from '../helpers/artifact';
import { gameDayFleet } from '../../local/scenarios';
import { parseFaults } from '../../local/sandbox/faults';
import type { Sandbox } from '../../local/sandbox/server';
import { type Simulation, startSimulation } from '../../local/sim/simulation';
import { LocalWorkflow, type LambdaHandler, type WorkflowRun } from '../../local/workflow';
import { loadEvent } from '../helpers/fixtures';
import { isPlanStep } from '../../functions/domain/manual';

// The paths whose outcome hangs on an error's *name* (Retry / Catch), run through the real ASL with
// the bundles the real builder made, against the sandbox over HTTP. With the source these paths
// pass whatever the minifier does to class names; here they pass only if the shipped code keeps them.
const built = bundlesUnderTest(); // refuses stale bundles before anything starts

let simulation: Simulation;
let sandbox: Sandbox;
let workflow: LocalWorkflow;
/** Time the handlers see beyond the virtual clock's (a test that jumps while a task runs). */
let offsetMs = 0;
/** Set by a test: what happens right after the plan is made (e.g. time passing). */
let afterPlan: (() => void) | undefined;

const now = () => new Date(sandbox.clock.now() + offsetMs);

beforeAll(async () => {
  if (built.length === 0) return;
  simulation = await startSimulation({ fleet: gameDayFleet, bundles: BUILD_DIR });
  sandbox = simulation.sandbox;
  useSimulatedClock(now);
  const guardFunction = sandbox.handlers.GuardFunction as LambdaHandler;
  workflow = new LocalWorkflow(
    {
      ...sandbox.handlers,
      GuardFunction: async (event, context) => {
        const result = await guardFunction(event, context);
        if (isPlanStep(event)) afterPlan?.();
        return result;
      },
    },
    () => Promise.resolve({ approved: true, by: 'artifact-test' }),
    undefined,
    simulation.clock,
  );
}, 60_000);

afterAll(async () => {
  await simulation?.finish();
});

beforeEach(async () => {
  if (built.length === 0) return;
  // Each test starts two simulated hours after the last, so no cooldown or hourly budget carries over.
  await simulation.advance(2 * 3600);
  afterPlan = undefined;
  sandbox.faults.set([]);
});

/** The fixture incident (web-cpu-high on web-asg), detected now. */
function cpuIncident(): object {
  const { input } = loadEvent<{ input: { alarm: object } }>('plan-incident');
  const at = now().toISOString();
  return { ...input, receivedAt: at, detectedAt: at, alarm: { ...input.alarm, stateChangeTime: at } };
}

function alarmFiring(firing: boolean): void {
  sandbox.fleet.setDemand('web-asg', firing ? 100_000 : 10);
  sandbox.fleet.setAlarmState(
    'web-cpu-high',
    firing ? 'ALARM' : 'OK',
    firing ? 'Threshold Crossed' : 'Threshold not breached',
  );
}

/** Per retry of Apply: the error the bundle threw, and the retrier of the ASL that matched it. */
async function run(
  name: string,
): Promise<{ run: WorkflowRun; scaled: number; retriedWith: string[]; matched: string[][] }> {
  const before = sandbox.mutatingCalls().length;
  const result = await simulation.await(workflow.run(cpuIncident(), { executionName: name }));
  return {
    run: result,
    scaled: sandbox
      .mutatingCalls()
      .slice(before)
      .filter((c) => c.operation === 'AutoScaling.SetDesiredCapacity').length,
    retriedWith: result.events
      .filter((e) => e.type === 'StateFailed' && e.state?.name === 'Apply Auto Scaling Action')
      .map((e) => e.Error ?? ''),
    matched: result.events
      .filter((e) => e.type === 'StateRetried' && e.state?.name === 'Apply Auto Scaling Action')
      .map((e) => e.retry?.retrier?.ErrorEquals ?? []),
  };
}

describeBuilt('error names through the state machine, with the built bundles', () => {
  it('retries a throttled scale-out (AwsThrottledError) and changes capacity once', async () => {
    alarmFiring(true);
    // More failures than the SDK's own attempts, so the error reaches the state machine.
    sandbox.faults.set(parseFaults('AutoScaling.SetDesiredCapacity:first=5'));
    const { run: result, scaled, retriedWith, matched } = await run('artifact-throttled');

    expect(retriedWith.length).toBeGreaterThan(0);
    expect(new Set(retriedWith)).toEqual(new Set(['AwsThrottledError']));
    expect(matched).toHaveLength(retriedWith.length);
    for (const errorEquals of matched) expect(errorEquals).toContain('AwsThrottledError');
    expect(result.states).not.toContain('Record Failure');
    expect(scaled).toBe(1);
  }, 60_000);

  it('retries while a scaling activity is in progress (ScalingActivityInProgress) and changes capacity once', async () => {
    alarmFiring(true);
    sandbox.faults.set(parseFaults('AutoScaling.SetDesiredCapacity:first=2,fail=busy'));
    const { run: result, scaled, retriedWith, matched } = await run('artifact-busy');

    expect(retriedWith).toEqual(['ScalingActivityInProgress', 'ScalingActivityInProgress']);
    expect(matched).toEqual([
      expect.arrayContaining(['ScalingActivityInProgress']),
      expect.arrayContaining(['ScalingActivityInProgress']),
    ]);
    expect(result.states).not.toContain('Record Failure');
    expect(scaled).toBe(1);
  }, 60_000);

  it('skips, not fails, an incident whose alarm is OK again by the time it would act (AlreadyRecovered)', async () => {
    alarmFiring(true);
    afterPlan = () => alarmFiring(false);
    const { run: result, scaled } = await run('artifact-recovered');

    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toContain('Record Skip');
    expect(result.states).not.toContain('Record Failure');
    expect(result.output).toMatchObject({ record: { outcome: 'skipped', reason: 'AlreadyRecovered' } });
    expect(scaled).toBe(0);
  }, 60_000);

  it('skips, not fails, an incident that grew too old before it could act (Stale)', async () => {
    alarmFiring(true);
    afterPlan = () => {
      offsetMs += 3 * 3600_000; // past the 2 h maximum age, while it waited
    };
    const { run: result, scaled } = await run('artifact-stale');

    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toContain('Record Skip');
    expect(result.output).toMatchObject({ record: { outcome: 'skipped', reason: 'Stale' } });
    expect(scaled).toBe(0);
  }, 60_000);
});
