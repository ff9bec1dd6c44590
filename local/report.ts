import type { IngestResult } from '../functions/aws/ingest';
import { percentile } from '../bench/stats';
import type { ExecutionRecord } from './sandbox/server';
import type { CallRecord } from './sandbox/server';

// Turns what the sandbox saw into a timeline and a summary an on-call engineer can read.

export interface Delivery {
  at: number;
  /** Real time (Date.now()) the event was injected. */
  wallMs: number;
  channel: 'sns' | 'eventbridge' | 'manual';
  description: string;
  routedTo: string[];
  results: IngestResult[];
  error?: string;
}

export interface TimelineEntry {
  at: number;
  kind:
    | 'SETUP'
    | 'FAULT'
    | 'OPERATOR'
    | 'EVENT'
    | 'INCIDENT'
    | 'PLAN'
    | 'GUARD'
    | 'APPROVAL'
    | 'ACTION'
    | 'PROGRESS'
    | 'VERIFY'
    | 'OUTCOME';
  text: string;
}

interface RecordOutput {
  outcome?: string;
  rule?: string;
  action?: string;
  reason?: string;
  dryRun?: boolean;
  timeToRemediateSeconds?: number;
  timeToRecoverSeconds?: number;
  metrics?: { name: string }[];
  steps?: { step: number; actionType?: string; action: string; result: string; timeToOkSeconds?: number }[];
  shadow?: {
    wouldDo: string;
    selfRecovered: boolean;
    timeToSelfRecoverSeconds?: number;
    decision: string;
    reason?: string;
  };
}

interface ExecutionOutput {
  plan?: {
    rule?: string;
    decision?: string;
    reason?: string;
    explanation?: string[];
    dryRun?: boolean;
    correlatedChange?: { description: string };
    action?: { type: string };
  };
  applied?: { description?: string; call?: { operation: string; input: Record<string, unknown> }; applied?: boolean };
  verification?: { status?: string; detail?: string };
  record?: RecordOutput;
}

export interface IncidentSummary {
  incident: string;
  /** How the drill counts it. */
  kind:
    | 'remediated'
    | 'guard-skip'
    | 'budget-exhausted'
    | 'refused'
    | 'not-approved'
    | 'dry-run'
    | 'shadow'
    | 'skipped'
    | 'notified'
    | 'failed';
  status: string;
  rule: string;
  action: string;
  outcome: string;
  reason?: string;
  verified: boolean;
  timeToRemediateSeconds?: number;
  timeToRecoverSeconds?: number;
  metrics: string[];
  error?: string;
  /** Escalation ladders: each rung and its result. */
  steps?: RecordOutput['steps'];
  shadow?: RecordOutput['shadow'];
  correlatedChange?: string;
  /** The action the plan ended on. */
  actionType?: string;
  /** Time to recover, in simulated seconds (docs/performance.md "MTTR"). */
  mttr?: Mttr;
}

export interface Mttr {
  /** The alarm's ALARM (the incident's detection) → the first mutating call. */
  firstChangeSeconds?: number;
  /** The alarm's ALARM → the workflow's read that found it OK again. */
  verifiedOkSeconds?: number;
  /** What the platform adds: the alarm's return to OK → the outcome recorded. */
  platformLagSeconds?: number;
}

export interface MttrFigures {
  incidents: number;
  firstChange: { p50: number; p95: number };
  verifiedOk: { p50: number; p95: number };
  platformLag: { p50: number; p95: number };
}

/** p50 and p95 of each MTTR measure over the remediated incidents (simulated seconds). */
export function mttrFigures(summaries: Pick<IncidentSummary, 'mttr'>[]): MttrFigures {
  const of = (pick: (m: Mttr) => number | undefined) => {
    const samples = summaries.flatMap((s) => (s.mttr && pick(s.mttr) !== undefined ? [pick(s.mttr) as number] : []));
    return { p50: percentile(samples, 50), p95: percentile(samples, 95) };
  };
  return {
    incidents: summaries.filter((s) => s.mttr).length,
    firstChange: of((m) => m.firstChangeSeconds),
    verifiedOk: of((m) => m.verifiedOkSeconds),
    platformLag: of((m) => m.platformLagSeconds),
  };
}

/** MTTR of one execution, from its history (event timestamps are simulated time in a drill). */
function mttrOf(execution: ExecutionRecord): Mttr | undefined {
  const input = execution.input as { detectedAt?: string } | undefined;
  const detected = Date.parse(input?.detectedAt ?? '');
  if (!Number.isFinite(detected)) return undefined;
  const exits = (execution.run?.events ?? []).filter((e) => e.type === 'StateExited' && e.state);
  const outputOf = (e: (typeof exits)[number]) => (e.state as { output?: Record<string, unknown> }).output ?? {};
  const applied = exits
    .map((e) => outputOf(e).applied as { applied?: boolean; dryRun?: boolean; appliedAt?: string } | undefined)
    .find((a) => a?.applied === true && a.dryRun !== true && a.appliedAt);
  const verifiedExit = exits.find(
    (e) =>
      e.state?.name === 'Verify Recovery' &&
      (outputOf(e).verification as { status?: string } | undefined)?.status === 'recovered',
  );
  const okAt = verifiedExit
    ? Date.parse((outputOf(verifiedExit).verification as { recoveredAt?: string }).recoveredAt ?? '')
    : Number.NaN;
  const recordedAt = exits.find((e) => e.state?.name === 'Record Success')?.timestamp;
  const seconds = (from: number, to: number | undefined) =>
    to !== undefined && Number.isFinite(from) && Number.isFinite(to) ? Math.max(0, (to - from) / 1000) : undefined;
  const mttr: Mttr = {
    ...(applied?.appliedAt ? { firstChangeSeconds: seconds(detected, Date.parse(applied.appliedAt)) } : {}),
    ...(verifiedExit ? { verifiedOkSeconds: seconds(detected, verifiedExit.timestamp) } : {}),
    ...(verifiedExit && recordedAt !== undefined ? { platformLagSeconds: seconds(okAt, recordedAt) } : {}),
  };
  return Object.keys(mttr).length > 0 ? mttr : undefined;
}

const short = (id: string) => (id.length > 34 ? `${id.slice(0, 25)}…${id.slice(-8)}` : id);

function stateOutputs(execution: ExecutionRecord, toSim: (real: number) => number) {
  return (execution.run?.events ?? [])
    .filter((e) => e.type === 'StateExited' && e.state)
    .map((e) => ({
      name: e.state?.name ?? '',
      at: toSim(e.timestamp),
      output: (e.state as { output?: unknown } | undefined)?.output as ExecutionOutput & Record<string, unknown>,
    }));
}

export function executionTimeline(execution: ExecutionRecord, toSim: (real: number) => number): TimelineEntry[] {
  const id = short(execution.name);
  const entries: TimelineEntry[] = [];
  for (const { name, at, output } of stateOutputs(execution, toSim)) {
    if (name === 'Plan Remediation' && output.plan) {
      const plan = output.plan;
      const why =
        plan.decision === 'skip'
          ? `skip (${plan.reason ?? '?'})`
          : ((plan.explanation ?? [])
              .find((l) => l.startsWith('Action:'))
              ?.replace(/^Action: /, '')
              .replace(/\.$/, '') ?? 'act');
      entries.push({
        at,
        kind: 'PLAN',
        text: `${id}: ${plan.rule ? `rule ${plan.rule} → ` : ''}${why}${plan.dryRun ? ' [dry run]' : ''}`,
      });
    } else if (name === 'Correlate Recent Change' && output.plan) {
      const change = output.plan.correlatedChange;
      entries.push({
        at,
        kind: 'PLAN',
        text: `${id}: ${
          change
            ? `change-aware: ${change.description} → ${
                (output.plan.explanation ?? [])
                  .at(-1)
                  ?.replace(/^Action: /, '')
                  .replace(/\.$/, '') ?? 'rollback'
              }`
            : 'change-aware: no recent change; plan unchanged'
        }`,
      });
    } else if (name === 'Escalate To Next Step' && output.plan) {
      entries.push({ at, kind: 'PLAN', text: `${id}: ${(output.plan.explanation ?? []).at(-1) ?? 'escalated'}` });
    } else if (name === 'Check Guardrails') {
      const guard = (output as { guard?: { decision?: string; reason?: string; detail?: string } }).guard;
      if (guard)
        entries.push({
          at,
          kind: 'GUARD',
          text: `${id}: ${guard.decision === 'skip' ? `skip (${guard.reason ?? '?'}): ` : ''}${guard.detail ?? ''}`,
        });
    } else if (/^(Apply|Start Automation)/.test(name) && output.applied) {
      const call = output.applied.call;
      entries.push({
        at,
        kind: 'ACTION',
        text: `${id}: ${output.applied.applied ? '' : '(not applied) '}${call ? `${call.operation} ${JSON.stringify(call.input)}` : (output.applied.description ?? '')}`,
      });
    } else if (name === 'Check Progress') {
      const progress = (output as { progress?: { detail?: string; status?: string } }).progress;
      if (progress)
        entries.push({
          at,
          kind: 'PROGRESS',
          text: `${id}: ${progress.detail ?? ''}${progress.status === 'done' ? ' ✓' : ''}`,
        });
    } else if (name === 'Verify Recovery' && output.verification) {
      entries.push({
        at,
        kind: 'VERIFY',
        text: `${id}: ${output.verification.detail ?? ''}${output.verification.status === 'recovered' ? ' ✓' : ''}`,
      });
    } else if (name.startsWith('Record') || name === 'Notify Operator') {
      const record = output.record;
      if (record) {
        const ttr =
          record.timeToRemediateSeconds !== undefined
            ? `, remediated in ${duration(record.timeToRemediateSeconds)}`
            : '';
        const ttrec =
          record.timeToRecoverSeconds !== undefined ? `, recovered in ${duration(record.timeToRecoverSeconds)}` : '';
        entries.push({
          at,
          kind: 'OUTCOME',
          text: `${id}: ${record.outcome ?? '?'}${record.reason ? ` (${record.reason})` : ''}${ttr}${ttrec}`,
        });
      }
    }
  }
  return entries;
}

/** Skips that are the platform refusing what an alarm's tags asked for. */
const REFUSALS = new Set([
  'TargetNotNamedByAlarm',
  'AlarmTagActionNotAllowed',
  'InvalidAlarmTags',
  'ParameterNotAllowed',
]);

export function summarise(execution: ExecutionRecord): IncidentSummary {
  const output = (execution.run?.output ?? {}) as ExecutionOutput;
  const lastRecord = (execution.run?.events ?? [])
    .filter((e) => e.type === 'StateExited' && /^(Record|Notify)/.test(e.state?.name ?? ''))
    .map((e) => ((e.state as { output?: ExecutionOutput } | undefined)?.output ?? {}).record)
    .pop();
  const record = output.record ?? lastRecord ?? {};
  const verification = output.verification?.status;
  const verified =
    execution.status === 'SUCCEEDED' &&
    record.outcome === 'succeeded' &&
    record.dryRun !== true &&
    (verification === 'recovered' || verification === 'not-applicable');
  const kind: IncidentSummary['kind'] =
    execution.status !== 'SUCCEEDED'
      ? 'failed'
      : record.outcome === 'shadow'
        ? 'shadow'
        : // A dry run's decision counts as one whether it would act or would be held back.
          record.dryRun === true && (record.outcome === 'succeeded' || record.outcome === 'skipped')
          ? 'dry-run'
          : record.outcome === 'succeeded'
            ? verified
              ? 'remediated'
              : 'failed'
            : record.outcome === 'skipped'
              ? record.reason === 'Cooldown' || record.reason === 'InProgress'
                ? 'guard-skip'
                : record.reason === 'NotApproved'
                  ? 'not-approved'
                  : record.reason === 'BudgetExhausted'
                    ? 'budget-exhausted'
                    : REFUSALS.has(record.reason ?? '')
                      ? 'refused'
                      : 'skipped'
              : record.outcome === 'notified'
                ? 'notified'
                : 'failed';
  const mttr = kind === 'remediated' ? mttrOf(execution) : undefined;
  return {
    incident: execution.name,
    kind,
    status: execution.status,
    rule: record.rule ?? output.plan?.rule ?? '-',
    action: record.action ?? '-',
    outcome: record.outcome ?? execution.run?.error?.Error ?? execution.status,
    ...(record.reason ? { reason: record.reason } : {}),
    verified,
    ...(record.timeToRemediateSeconds !== undefined ? { timeToRemediateSeconds: record.timeToRemediateSeconds } : {}),
    ...(record.timeToRecoverSeconds !== undefined ? { timeToRecoverSeconds: record.timeToRecoverSeconds } : {}),
    metrics: [...new Set((record.metrics ?? []).map((m) => m.name))],
    ...(execution.run?.error
      ? { error: `${execution.run.error.Error}: ${String(execution.run.error.Cause).slice(0, 200)}` }
      : {}),
    ...(record.steps ? { steps: record.steps } : {}),
    ...(record.shadow ? { shadow: record.shadow } : {}),
    ...(output.plan?.correlatedChange ? { correlatedChange: output.plan.correlatedChange.description } : {}),
    ...(output.plan?.action ? { actionType: output.plan.action.type } : {}),
    ...(mttr ? { mttr } : {}),
  };
}

export function duration(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function clockLabel(at: number, start: number): string {
  const s = Math.max(0, Math.round((at - start) / 1000));
  return `T+${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r, index) => {
      const line = r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');
      return index === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

export function callsFor(calls: CallRecord[], identifiers: string[]): CallRecord[] {
  const wanted = identifiers.filter(Boolean);
  return calls.filter((c) => wanted.some((id) => JSON.stringify(c.params).includes(id)));
}
