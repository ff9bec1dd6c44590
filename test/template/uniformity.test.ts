import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { PREPARE_AGAIN_ERRORS, SKIP_ERRORS } from '../../functions/domain/errors';
import { ROOT, functionsOf, loadTemplate } from '../helpers/template';

// What is written out many times by hand must stay the same everywhere: the retry policy of every
// Task in the ASL, and the esbuild Metadata of every function (JSON and SAM cannot share a block).
interface AslState {
  Type: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
}
const asl = JSON.parse(readFileSync(join(ROOT, 'statemachines', 'remediation.asl.json'), 'utf8')) as {
  States: Record<string, AslState>;
};
interface AslTask extends AslState {
  Resource?: string;
}
const allTasks = Object.entries(asl.States as Record<string, AslTask>).filter(([, s]) => s.Type === 'Task');
/** Tasks that call a service directly (Step Functions' optimized integrations), not a function. */
const isIntegration = (s: AslTask) => /^arn:aws:states:::(?!lambda:)/.test(s.Resource ?? '');
const tasks = allTasks.filter(([, s]) => !isIntegration(s));
const integrationTasks = allTasks.filter(([, s]) => isIntegration(s));
/** The standard policy: Lambda's own transient errors, AWS throttling and 5xx, a Lambda timeout. */
const STANDARD_RETRY = asl.States['Plan Remediation']?.Retry ?? [];
/** Retriers a Task may put before the standard ones, for an error only it throws. */
const OWN_RETRIERS: Record<string, string[]> = { 'Start Automation': ['AutomationConcurrencyLimit'] };

describe('one retry and catch policy for every Task', () => {
  it('names the standard retriers', () => {
    expect(STANDARD_RETRY.map((r) => r.ErrorEquals[0])).toEqual([
      'Lambda.ServiceException',
      'AwsThrottledError',
      'Sandbox.Timedout',
    ]);
  });

  it.each(tasks)('%s retries with the standard policy', (name, state) => {
    const own = OWN_RETRIERS[name] ?? [];
    const retry = state.Retry ?? [];

    expect(retry.slice(0, own.length).map((r) => r.ErrorEquals[0])).toEqual(own);
    expect(retry.slice(own.length)).toEqual(STANDARD_RETRY);
  });

  it.each(integrationTasks)('%s (a direct service call) retries every error but a failed condition', (_name, state) => {
    const retry = state.Retry ?? [];
    expect(retry.at(-1)).toEqual({
      ErrorEquals: ['States.ALL'],
      IntervalSeconds: 1,
      MaxAttempts: 5,
      BackoffRate: 2,
      MaxDelaySeconds: 30,
      JitterStrategy: 'FULL',
    });
    for (const retrier of retry.slice(0, -1))
      expect(retrier).toEqual({ ErrorEquals: [expect.stringMatching(/ConditionalCheckFailed/)], MaxAttempts: 0 });
  });

  it.each(allTasks)('%s catches every other error last, keeping it at $.error', (_name, state) => {
    expect(state.Catch?.at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'], ResultPath: '$.error' });
  });

  // Issue 26: every prepare and apply step decides through the safety kernel; each skip it names
  // must be recorded as a skip (never a failure), from every such step, with one list.
  const kernelSteps = allTasks.filter(([name]) => /^(Prepare|Apply|Start Automation)/.test(name));
  it.each(kernelSteps)('%s records every skip the safety kernel names as a skip', (_name, state) => {
    const toSkip = state.Catch?.find((c) => c.Next === 'Record Skip');
    expect([...(toSkip?.ErrorEquals ?? [])].sort()).toEqual([...SKIP_ERRORS].sort());
    expect(toSkip?.ResultPath).toBe('$.stale');
  });

  it('has a prepare step before every apply step, and apply steps send a change that needs a human back to it', () => {
    expect(kernelSteps.map(([name]) => name).sort()).toEqual([
      'Apply Auto Scaling Action',
      'Apply Rollback',
      'Prepare Auto Scaling Action',
      'Prepare Automation',
      'Prepare Rollback',
      'Start Automation',
    ]);
    for (const [name, state] of kernelSteps.filter(([n]) => !n.startsWith('Prepare')))
      expect([name, state.Catch?.[0]]).toEqual([
        name,
        { ErrorEquals: PREPARE_AGAIN_ERRORS, ResultPath: '$.reapproval', Next: 'Prepare Again' },
      ]);
  });
});

// Issue 18: each wait for an event falls back to one read of the real state.
describe('every Await state', () => {
  const awaits = Object.entries(
    asl.States as Record<
      string,
      AslTask & {
        Next?: string;
        TimeoutSecondsPath?: string;
        Parameters?: { FunctionName?: string; Payload?: Record<string, string> };
      }
    >,
  ).filter(([name]) => name.startsWith('Await'));

  it('are the four waits the workflow makes', () => {
    expect(awaits.map(([name]) => name)).toEqual([
      'Await First Progress',
      'Await Progress',
      'Await Recovery Window',
      'Await Recovery',
    ]);
  });

  it.each(awaits)(
    '%s waits on a task token, and on its timeout goes to the read it would go to when woken',
    (_n, s) => {
      expect(s.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(s.Parameters?.FunctionName).toBe('${AwaitEventFunctionArn}');
      // The local runtime takes the timeout from the Payload (the emulator resolves the path wrongly).
      expect(s.Parameters?.Payload?.['timeoutSeconds.$']).toBe(s.TimeoutSecondsPath);
      expect(s.Catch?.[0]).toEqual({ ErrorEquals: ['States.Timeout'], ResultPath: '$.woken', Next: s.Next });
      expect(['Check Progress', 'Verify Recovery']).toContain(s.Next);
    },
  );
});

describe('one esbuild Metadata for every function', () => {
  const functions = functionsOf(loadTemplate());
  const metadata = functions.map(([id, resource]) => {
    const { EntryPoints, ...rest } = resource.Metadata?.BuildProperties ?? {};
    return { id, entry: EntryPoints, build: { BuildMethod: resource.Metadata?.BuildMethod, ...rest } };
  });

  it.each(metadata.slice(1))('$id builds as the first function does', ({ build }) => {
    expect(build).toEqual(metadata[0]?.build);
  });

  it('builds each function from its own folder, named as its handler', () => {
    for (const { entry } of metadata)
      expect(entry).toEqual([expect.stringMatching(/^functions\/[a-z-]+\/handler\.ts$/)]);
    expect(new Set(metadata.map((m) => JSON.stringify(m.entry))).size).toBe(metadata.length);
  });
});
