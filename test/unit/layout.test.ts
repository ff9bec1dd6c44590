import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ROOT } from '../helpers/template';

// The tree shows the architecture: functions/domain decides and does no I/O; functions/aws does the
// AWS I/O; functions/platform is plumbing; each functions/<action>/handler.ts wires them. ESLint
// enforces the domain's imports (eslint.config.js); this test keeps that rule from going missing.
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
const importsOf = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/^import\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1] as string);

describe('project layout', () => {
  const domain = files(join(ROOT, 'functions', 'domain'));

  it('keeps the domain free of AWS, Powertools and middy, and of the aws/ and platform/ folders', () => {
    const offending = domain.flatMap((file) =>
      importsOf(file)
        .filter((spec) => /^@aws-sdk\/|^@aws-lambda-powertools\/|^@middy\/|(^|\/)(aws|platform)(\/|$)/.test(spec))
        .map((spec) => `${relative(ROOT, file)} imports ${spec}`),
    );

    expect(domain.length).toBeGreaterThan(10);
    expect(offending).toEqual([]);
  });

  it('is formatted by Prettier, which npm run lint enforces', () => {
    const scripts = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;

    expect(scripts.lint).toContain('prettier --check .');
    expect(scripts.format).toBe('prettier --write .');
  });

  it('has the lint rule that enforces it', () => {
    const config = readFileSync(join(ROOT, 'eslint.config.js'), 'utf8');

    expect(config).toContain("files: ['functions/domain/**/*.ts']");
    expect(config).toContain("'@aws-sdk/*'");
  });

  it('names each function folder after what it does, as the action types do', () => {
    const folders = readdirSync(join(ROOT, 'functions'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();

    expect(folders).toEqual([
      'alarm-ingest',
      'auto-scaling-action',
      'await-event',
      'aws',
      'check-progress',
      'correlate-change',
      'domain',
      'escalate',
      'event-ingest',
      'guard',
      'plan',
      'platform',
      'record-outcome',
      'request-approval',
      'rollback-deployment',
      'run-automation',
      'verify-recovery',
    ]);
  });

  it('reads the environment in one place (platform/env.ts), and has one home per default', () => {
    const all = files(join(ROOT, 'functions'));
    const reading = all.filter(
      (f) =>
        !f.endsWith(join('platform', 'env.ts')) &&
        /process\.env(?!\)\s*:)(?! *\)\s*:)/.test(
          readFileSync(f, 'utf8').replace(/env: NodeJS\.ProcessEnv = process\.env/g, ''),
        ),
    );
    const dryRun = all.filter((f) => readFileSync(f, 'utf8').includes("'DRY_RUN'"));
    const cooldown = all.filter((f) => /cooldown[^\n]*\b300\b/i.test(readFileSync(f, 'utf8')));

    expect(reading.map((f) => relative(ROOT, f))).toEqual([]);
    expect(dryRun.map((f) => relative(ROOT, f))).toEqual(['functions/platform/env.ts']);
    expect(cooldown.map((f) => relative(ROOT, f))).toEqual(['functions/domain/policy/defaults.ts']);
  });
});
