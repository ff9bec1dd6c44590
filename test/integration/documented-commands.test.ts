import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ROOT } from '../helpers/cli';

// Issue 19: every `npm …` command the README and docs/ show works as written. Each is run here
// as a user would (a shell in the repository, a plain environment) and must do what its text
// says. A command that cannot run in a test says so in its own doc, in a comment the reader does
// not see rendered: <!-- command-test: not run: <the command> (why) -->, or <the start of the
// commands> … (why) for every command that starts so.

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`)].filter((f) => f.endsWith('.md'));
const MARKER = /<!-- command-test: not run: (npm [^(]+?) \(([^)]+)\) -->/g;

/** Every `npm …` command in a doc: lines of its code blocks and its inline code spans. */
function commandsIn(text: string): string[] {
  const commands: string[] = [];
  const fenced = /```[a-z]*\n([\s\S]*?)```/g;
  for (const [, block = ''] of text.matchAll(fenced))
    for (const line of block.split('\n'))
      if (line.trim().startsWith('npm ')) commands.push(line.trim().replace(/\s+#.*$/, ''));
  for (const [, span = ''] of text.replace(fenced, '').matchAll(/`(npm [^`]+)`/g))
    commands.push(span.replace(/\s+/g, ' ').trim());
  return commands;
}

const documented = new Map<string, Set<string>>();
const notRun = new Map<string, { prefix: string; why: string }[]>();
for (const doc of DOCS) {
  const text = readFileSync(join(ROOT, doc), 'utf8');
  for (const command of commandsIn(text)) documented.set(command, (documented.get(command) ?? new Set()).add(doc));
  notRun.set(
    doc,
    [...text.matchAll(MARKER)].map(([, prefix = '', why = '']) => ({ prefix: prefix.trim(), why })),
  );
}

/** What each command's text promises, where it is more than "exits 0". */
const PROMISES: Record<string, { exit?: number; stdout?: RegExp; stderr?: RegExp; setup?: string }> = {
  'npm start': { stdout: /PASS/ },
  'npm start -- --json': { stdout: /^\{[\s\S]*"passed": true/ },
  'npm start -- --dry-run': { stdout: /0 mutating AWS calls/ },
  'npm start -- --approvals reject': { stdout: /[1-9]\d* not approved/ },
  'npm start -- --scenario attack': { stdout: /[1-9]\d* refused/ },
  'npm start -- --event events/sns-alarm-cpu-high.json': { stdout: /1 remediated and verified/ },
  'npm start -- --event events/sns-alarm-your-own.json --dry-run': { stdout: /built for .*shop-asg/ },
  'npm run shadow-report -- shadow.json': {
    setup: 'npm start -- --scenario shadow --json > shadow.json',
    stdout: /decision\(s\) to act/,
  },
  'npm run shadow-report -- shadow.json --min-decisions 10 --max-self-recovery 30 --json': {
    setup: 'npm start -- --scenario shadow --json > shadow.json',
    stdout: /^[[{]/,
  },
  'npm run invoke -- AlarmIngestFunction --event events/sns-alarm-malformed-batch.json': { stdout: /"rejected"/ },
  'npm run invoke -- GuardFunction --event events/plan-incident.json': { stdout: /"rule": "high-cpu-scale-out"/ },
  'npm run execute -- --input events/manual-execution.json': { stdout: /SUCCEEDED/ },
  'npm run iam': { stdout: /calls checked against/ },
};

function covers(marker: string, command: string): boolean {
  if (!marker.endsWith(' …')) return command === marker;
  const start = marker.slice(0, -2);
  return command === start || command.startsWith(`${start} `);
}

/** The doc comment that says why a command is not run here, if there is one. */
function whyNotRun(command: string): string | undefined {
  for (const doc of documented.get(command) ?? []) {
    const marker = notRun.get(doc)?.find((m) => covers(m.prefix, command));
    if (marker) return marker.why;
  }
  return undefined;
}

/** A plain user's environment: none of the test setup's AWS or Powertools variables. */
const plainEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(AWS_|POWERTOOLS_|_X_AMZN|JEST|NODE_OPTIONS|DRILL_|npm_)/.test(key)),
);

function shell(command: string, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { cwd: ROOT, env: plainEnv, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const commands = [...documented.keys()].sort();
const runnable = commands.filter((c) => whyNotRun(c) === undefined);

const setups = new Map<string, ReturnType<typeof shell>>();
afterAll(() => rmSync(join(ROOT, 'shadow.json'), { force: true }));

describe('the commands the README and docs/ show', () => {
  it('finds them all, and every one not run here says why in its doc', () => {
    expect(commands.length).toBeGreaterThan(40);
    expect(commands).toEqual(expect.arrayContaining(['npm start', 'npm test']));
    // A marker that no longer matches a command is stale.
    for (const [doc, markers] of notRun)
      for (const marker of markers)
        expect([doc, marker.prefix, commands.some((c) => covers(marker.prefix, c))]).toEqual([
          doc,
          marker.prefix,
          true,
        ]);
  });

  // Concurrently (jest's maxConcurrency): each is its own process on simulated time, so the
  // answers do not depend on how loaded the machine is, only how long the file takes.
  it.concurrent.each(runnable)(
    '%s',
    async (command) => {
      const promise = PROMISES[command] ?? {};
      if (promise.setup) {
        // Shared by the commands that read what it writes, and run once: they run concurrently.
        if (!setups.has(promise.setup)) setups.set(promise.setup, shell(promise.setup, 150_000));
        expect((await setups.get(promise.setup))?.code).toBe(0);
      }

      const { code, stdout, stderr } = await shell(command, 150_000);

      expect([code, code === (promise.exit ?? 0) ? '' : `${stdout.slice(-600)}\n${stderr.slice(-900)}`]).toEqual([
        promise.exit ?? 0,
        '',
      ]);
      if (promise.stdout) expect(stdout).toMatch(promise.stdout);
      if (promise.stderr) expect(stderr).toMatch(promise.stderr);
      expect(stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack trace
    },
    320_000,
  );
});
