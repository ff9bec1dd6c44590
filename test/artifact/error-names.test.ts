import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from '@jest/globals';
import { bundlesUnderTest, describeBuilt } from '../helpers/artifact';
import { ROOT, functionEnvironment, loadTemplate } from '../../local/template';

// Step Functions' Retry/Catch match a Lambda error by the name the *shipped* code gives it. The
// bundles are minified, which renames classes: a name taken from the class (new.target.name) ships
// as e.g. "Wd" and no Retry/Catch ever matches. This loads each built bundle and reads, from the
// heap, the runtime name of every Error subclass it defines.

/** The named errors functions/domain/errors.ts declares (the names the ASL matches on). */
const DECLARED = new Set(
  [
    ...readFileSync(join(ROOT, 'functions', 'domain', 'errors.ts'), 'utf8').matchAll(
      /export class (\w+) extends NamedError/g,
    ),
  ].map((m) => m[1] as string),
);

interface ErrorClass {
  id: number;
  parent: number | null;
  instanceName: string | null;
  prototypeName: string;
}

function errorClassesOf(logicalId: string, bundle: string): ErrorClass[] {
  const template = loadTemplate();
  const result = spawnSync(process.execPath, [join(ROOT, 'test', 'artifact', 'error-classes.mjs'), bundle], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_XRAY_MANUAL_MODE: '1',
      ...functionEnvironment(template, logicalId, { DryRun: 'false' }),
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`${logicalId}: ${result.stderr.slice(-2000)}`);
  return JSON.parse(result.stdout) as ErrorClass[];
}

describeBuilt('error names in the built bundles', () => {
  it('declares a named error for every name the state machine retries or catches that our code throws', () => {
    expect([...DECLARED].sort()).toEqual(
      expect.arrayContaining([
        'AlreadyRecovered',
        'ApprovalRequired',
        'AutomationConcurrencyLimit',
        'AwsThrottledError',
        'AwsTransientError',
        'BudgetExhausted',
        'LockLost',
        'NoLongerNeeded',
        'NotInAlarm',
        'ParameterNotAllowed',
        'Paused',
        'ScalingActivityInProgress',
        'Stale',
        'Superseded',
        'TargetChanged',
        'TargetNotNamedByAlarm',
      ]),
    );
  });

  it.each(bundlesUnderTest().map((fn) => [fn.logicalId, fn.outfile]))(
    '%s: every named error class keeps its declared name at run time',
    (logicalId, outfile) => {
      const classes = errorClassesOf(logicalId, outfile);
      // Our classes: those whose instances carry a declared name; their base is NamedError.
      const ours = classes.filter((c) => c.instanceName !== null && DECLARED.has(c.instanceName));
      const bases = new Set(ours.map((c) => c.parent));
      const family = classes.filter((c) => bases.has(c.parent));

      expect(ours.length).toBeGreaterThan(0);
      expect(bases.size).toBe(1);
      // A class of the family whose name is not declared was renamed by the minifier.
      expect(family.filter((c) => !DECLARED.has(c.instanceName ?? '')).map((c) => c.instanceName)).toEqual([]);
      // The name is on the prototype, so the stack header and every instance carry it from construction.
      for (const c of ours) expect(c.prototypeName).toBe(c.instanceName);
    },
    30_000,
  );
});
