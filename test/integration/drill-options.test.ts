import { spawn } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { ROOT, runScript } from '../helpers/cli';

// Issue 19: invalid options and files stop the drill at once, with one line that says why.
describe('npm start with a bad option or file', () => {
  it.each([
    [['--event', 'events/nope.json'], '--event events/nope.json: cannot read it (ENOENT)'],
    [['--event', 'README.md'], '--event README.md: not JSON'],
    [['--event', 'package.json'], '--event package.json: neither an SNS notification (Records), an EventBridge event'],
    [['--approvals', 'maybe'], '--approvals must be approve or reject, not "maybe"'],
    [['--seed', 'x'], '--seed must be a whole number, not "x"'],
    [['--faults', 'bogus'], 'Fault "bogus": expected <target>:<settings>'],
    [['--scenario', 'nope'], 'Unknown scenario "nope"'],
  ])(
    '%j exits 2 before starting anything: %s',
    async (args, message) => {
      const { code, stdout, stderr } = await runScript('local/drill.ts', args);

      expect(code).toBe(2);
      expect(stderr).toContain(message);
      expect(stdout).toBe('');
    },
    30_000,
  );
});

describe('npm run shadow-report with input it cannot use', () => {
  it.each([
    [['events/nope.json'], 2, 'events/nope.json: cannot read it (ENOENT)'],
    [['README.md'], 2, 'README.md: not JSON or JSON lines'],
    [['package.json'], 1, 'package.json: no shadow decisions in it'],
    [['--min-decisions', 'x'], 2, '--min-decisions must be a whole number'],
  ])(
    '%j exits %i: %s',
    async (args, exit, message) => {
      const { code, stdout, stderr } = await runScript('local/shadow-report.ts', args);

      expect(code).toBe(exit);
      expect(stderr).toContain(message);
      expect(stdout).toBe('');
    },
    30_000,
  );
});

describe('npm start -- --event <file>', () => {
  // Issue 19: the fixtures are dated; the drill judges an event at its own time.
  it('judges a dated alarm at its own time, with the fleet in the state it reports: remediated and verified', async () => {
    const { code, stdout } = await runScript('local/drill.ts', ['--event', 'events/sns-alarm-cpu-high.json', '--json']);
    const report = JSON.parse(stdout) as { passed: boolean; incidents: { kind: string; outcome: string }[] };

    expect(code).toBe(0);
    expect(report.incidents).toEqual([expect.objectContaining({ kind: 'remediated', outcome: 'succeeded' })]);
  }, 60_000);

  it('fails when the event is rejected at ingest, and says so', async () => {
    const { code, stdout } = await runScript('local/drill.ts', [
      '--event',
      'events/sns-alarm-cpu-high.json',
      '--now',
      '2026-01-01T00:00:00Z',
    ]);

    expect(code).toBe(1);
    expect(stdout).toContain('rejected');
    expect(stdout).toContain('later than its arrival');
  }, 60_000);
});

describe('npm start -- --json, as the README writes it', () => {
  // Issue 19: npm's "> name@version start" banner used to break the JSON (.npmrc: loglevel=silent).
  it('writes only the report on stdout', async () => {
    const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      const child = spawn('npm', ['start', '--', '--scenario', 'cpu-spike', '--json'], { cwd: ROOT });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (exit) => resolve({ stdout: out, code: exit }));
    });

    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { passed: boolean }).passed).toBe(true);
  }, 60_000);
});
