import { describe, expect, it } from '@jest/globals';
import { runScript } from '../helpers/cli';

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
