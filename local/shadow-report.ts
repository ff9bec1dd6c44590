// npm run shadow-report -- [files…] [--min-decisions 5] [--max-self-recovery 50] [--json]
// Which rules are safe to switch from shadow to active. Reads recorded shadow decisions from
// record-outcome's logs (JSON lines, or `aws logs filter-log-events` output) or from drill reports
// (`npm start -- --json`); with no file, runs the shadow drill scenario and reports on it.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { duration, table } from './report';

export interface ShadowEntry {
  rule: string;
  incident: string;
  decision: 'would-act' | 'would-skip' | 'would-fail';
  reason?: string;
  selfRecovered: boolean;
  timeToSelfRecoverSeconds?: number;
}

export interface Verdict {
  rule: string;
  decisions: number;
  wouldAct: number;
  wouldSkip: number;
  wouldFail: number;
  selfRecovered: number;
  /** Share of would-act decisions whose alarm recovered by itself. */
  selfRecoveryRate: number;
  medianSelfRecoverSeconds?: number;
  verdict: 'safe to activate' | 'keep in shadow' | 'not needed' | 'fix first';
  why: string;
}

interface ShadowShape {
  decision?: ShadowEntry['decision'];
  reason?: string;
  selfRecovered?: boolean;
  timeToSelfRecoverSeconds?: number;
}

function entryOf(rule: unknown, incident: unknown, shadow: ShadowShape | undefined): ShadowEntry | undefined {
  if (!shadow || typeof shadow.selfRecovered !== 'boolean') return undefined;
  return {
    rule: typeof rule === 'string' ? rule : 'manual',
    incident: typeof incident === 'string' ? incident : '?',
    decision: shadow.decision ?? 'would-act',
    ...(shadow.reason ? { reason: shadow.reason } : {}),
    selfRecovered: shadow.selfRecovered,
    ...(shadow.timeToSelfRecoverSeconds !== undefined
      ? { timeToSelfRecoverSeconds: shadow.timeToSelfRecoverSeconds }
      : {}),
  };
}

/** Shadow decisions in any of the formats the platform writes them. */
export function shadowEntries(text: string): ShadowEntry[] {
  const fromValue = (value: unknown): ShadowEntry[] => {
    const v = value as {
      incidents?: unknown[];
      events?: { message?: string }[];
      record?: { rule?: string; incidentId?: string; shadow?: ShadowShape };
    } | null;
    if (!v || typeof v !== 'object') return [];
    if (Array.isArray(v.incidents)) {
      // A drill report.
      return v.incidents.flatMap((i) => {
        const incident = i as { rule?: string; incident?: string; shadow?: ShadowShape };
        const entry = entryOf(incident.rule, incident.incident, incident.shadow);
        return entry ? [entry] : [];
      });
    }
    // `aws logs filter-log-events` output: each message is a log line.
    if (Array.isArray(v.events)) return v.events.flatMap((e) => (e.message ? shadowEntries(e.message) : []));
    // One record-outcome log line.
    const entry = entryOf(v.record?.rule, v.record?.incidentId, v.record?.shadow);
    return entry ? [entry] : [];
  };
  const trimmed = text.trim();
  try {
    return fromValue(JSON.parse(trimmed));
  } catch {
    // JSON lines (a CloudWatch Logs export): one value per line; other lines are skipped.
    return trimmed.split('\n').flatMap((line) => {
      try {
        return fromValue(JSON.parse(line));
      } catch {
        return [];
      }
    });
  }
}

/** Whether a text is in a format this report reads: one JSON value, or JSON lines. */
function readable(text: string): boolean {
  const parses = (t: string) => {
    try {
      JSON.parse(t);
      return true;
    } catch {
      return false;
    }
  };
  return parses(text.trim()) || text.split('\n').some((line) => line.trim() !== '' && parses(line));
}

/** A file's shadow decisions; a file that cannot be read, or holds none, is an error that says what was expected. */
function entriesOfFile(file: string, fail: (message: string, code?: number) => never): ShadowEntry[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    fail(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const expected =
    'a drill report (npm start -- --json), record-outcome log lines, or `aws logs filter-log-events` output';
  if (!readable(text)) fail(`${file}: not JSON or JSON lines; expected ${expected}`);
  const entries = shadowEntries(text);
  if (entries.length === 0)
    fail(
      `${file}: no shadow decisions in it (recorded with ShadowMode=true or --scenario shadow?); expected ${expected}`,
      1,
    );
  return entries;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * One verdict per rule. A rule is safe to activate when it decided cleanly often enough and its
 * alarm mostly did not recover by itself (the action would have been needed); a rule whose alarm
 * mostly recovers alone would act for nothing; any decision that failed must be fixed first.
 */
export function shadowVerdicts(
  entries: ShadowEntry[],
  options: { minDecisions: number; maxSelfRecoveryPercent: number },
): Verdict[] {
  const rules = [...new Set(entries.map((e) => e.rule))].sort();
  return rules.map((rule) => {
    const mine = entries.filter((e) => e.rule === rule);
    const acting = mine.filter((e) => e.decision === 'would-act');
    const failing = mine.filter((e) => e.decision === 'would-fail');
    const recovered = acting.filter((e) => e.selfRecovered);
    const rate = acting.length === 0 ? 0 : recovered.length / acting.length;
    const medianSelfRecoverSeconds = median(
      recovered.flatMap((e) => (e.timeToSelfRecoverSeconds !== undefined ? [e.timeToSelfRecoverSeconds] : [])),
    );
    const base = {
      rule,
      decisions: mine.length,
      wouldAct: acting.length,
      wouldSkip: mine.filter((e) => e.decision === 'would-skip').length,
      wouldFail: failing.length,
      selfRecovered: recovered.length,
      selfRecoveryRate: Math.round(rate * 1000) / 10,
      ...(medianSelfRecoverSeconds !== undefined ? { medianSelfRecoverSeconds } : {}),
    };
    if (failing.length > 0) {
      return {
        ...base,
        verdict: 'fix first',
        why: `${failing.length} decision(s) failed (${[...new Set(failing.map((e) => e.reason ?? '?'))].join(', ')}): the rule would fail live too`,
      };
    }
    if (acting.length < options.minDecisions) {
      return {
        ...base,
        verdict: 'keep in shadow',
        why: `${acting.length} decision(s) to act; at least ${options.minDecisions} are needed to judge`,
      };
    }
    if (rate * 100 > options.maxSelfRecoveryPercent) {
      return {
        ...base,
        verdict: 'not needed',
        why: `the alarm recovered by itself in ${base.selfRecoveryRate} % of cases${medianSelfRecoverSeconds !== undefined ? ` (median ${duration(medianSelfRecoverSeconds)})` : ''}: acting would mostly be noise; tune the alarm`,
      };
    }
    return {
      ...base,
      verdict: 'safe to activate',
      why: `${acting.length - recovered.length} of ${acting.length} alarms stayed in ALARM without the action, and every decision planned and guarded cleanly`,
    };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'min-decisions': { type: 'string', default: '5' },
      'max-self-recovery': { type: 'string', default: '50' },
      json: { type: 'boolean', default: false },
    },
  });
  const write = process.stdout.write.bind(process.stdout);
  const fail = (message: string, code = 2): never => {
    process.stderr.write(`shadow-report: ${message}\n`);
    process.exit(code);
  };
  for (const option of ['min-decisions', 'max-self-recovery'] as const)
    if (!/^\d+$/.test(values[option] ?? '')) fail(`--${option} must be a whole number, not "${values[option] ?? ''}"`);
  let entries: ShadowEntry[];
  if (positionals.length > 0) {
    entries = positionals.flatMap((file) => entriesOfFile(file, fail));
  } else {
    // No recorded outcomes given: record some, with the shadow drill (ShadowMode=true).
    process.stdout.write = (chunk: string | Uint8Array) => (chunk.toString().startsWith('{') ? true : write(chunk));
    process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
    process.stderr.write('No files given: recording shadow decisions with `npm start -- --scenario shadow`…\n');
    const { runDrill } = await import('./drill');
    const { report } = await runDrill(
      { scenarios: ['shadow'], json: true, seed: 42, approvals: 'approve' },
      () => undefined,
    );
    entries = shadowEntries(JSON.stringify(report));
  }
  const options = {
    minDecisions: Number(values['min-decisions']),
    maxSelfRecoveryPercent: Number(values['max-self-recovery']),
  };
  const verdicts = shadowVerdicts(entries, options);
  if (values.json) {
    write(`${JSON.stringify({ options, verdicts }, null, 2)}\n`);
  } else {
    write(
      `Shadow report: ${entries.length} decisions; a rule is safe to activate with ≥ ${options.minDecisions} clean decisions to act and self-recovery ≤ ${options.maxSelfRecoveryPercent} %.\n\n`,
    );
    write(
      `${table([
        [
          'Rule',
          'Decisions',
          'Would act',
          'Would skip',
          'Failed',
          'Recovered by itself',
          'Median self-recovery',
          'Verdict',
        ],
        ...verdicts.map((v) => [
          v.rule,
          String(v.decisions),
          String(v.wouldAct),
          String(v.wouldSkip),
          String(v.wouldFail),
          `${v.selfRecovered} (${v.selfRecoveryRate} %)`,
          v.medianSelfRecoverSeconds !== undefined ? duration(v.medianSelfRecoverSeconds) : '-',
          v.verdict,
        ]),
      ])}\n\n${verdicts.map((v) => `${v.rule}: ${v.verdict} — ${v.why}`).join('\n')}\n`,
    );
  }
}
