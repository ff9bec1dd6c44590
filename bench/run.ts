// npm run bench — builds every function as `sam build` would and measures what an SRE pays for:
// bundle size, cold init, warm latency, ingest throughput, cost per incident and local reaction
// time. Prints one table and writes bench/results.json. Figures, not pass/fail: targets are shown
// next to each figure (the bundle-size regression check is a test: test/template/bundles.test.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type BuiltFunction, buildFunctions, buildPropertiesOf, bundleLikeFunction } from '../scripts/build';
import { ROOT, functionEnvironment, functionsOf, loadTemplate } from '../local/template';
import type { ingestThroughput } from './ingest';
import { median, percentile } from './stats';
import { PRICES } from '../local/cost';
import { table } from '../local/report';
import { BASELINE_PATH } from './baseline';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    calls: { type: 'string', default: '1000' },
    drills: { type: 'string', default: '5' },
    out: { type: 'string', default: join(ROOT, 'bench', 'results.json') },
    // Accept today's bundle sizes as the baseline test/template/bundles.test.ts compares against.
    baseline: { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const CALLS = Number(values.calls);
const DRILLS = Number(values.drills);
// Bundle and cold init are measured against the floor of the required stack (logger + metrics +
// tracer + one SDK client + middy + zod, bundled the same way, in the same run): the absolute
// targets of the first issue were below that floor (issue 18).
const TARGETS = {
  bundleFloorRatio: 1.15,
  coldInitFloorRatio: 1.15,
  warmP50Ms: 2,
  warmP99Ms: 10,
  ingestPerSecond: 20_000,
  happyPathTransitions: 25,
  happyPathUsd: 0.0006,
  reactionP50Ms: 100,
  platformLagP95Seconds: 2,
};
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const template = loadTemplate();
const memoryMb = Number(template.Globals.Function.MemorySize ?? 128);
const log = (line: string) => process.stderr.write(`${line}\n`);

// The machine's own speed, before and after: on a shared machine a whole run can be slower than
// the next one, and this says so (a fixed JSON workload; lower is faster).
const calibrate = (): number => {
  const text = readFileSync(join(ROOT, 'events', 'sns-alarm-metric-math.json'), 'utf8');
  const started = performance.now();
  for (let i = 0; i < 20_000; i += 1) JSON.stringify(JSON.parse(text));
  return round(performance.now() - started, 1);
};
const calibrationBefore = calibrate();

// 1. Bundles made by the real builder (as sam build makes them), plus an empty handler and the
// floors bundled with the same properties through esbuild's API.
log('building bundles…');
const outDir = mkdtempSync(join(tmpdir(), 'bench-dist-'));
const built: BuiltFunction[] = await buildFunctions({ outDir });
const [, firstFunction] = functionsOf(template)[0] ?? [];
if (!firstFunction) throw new Error('template.yaml has no function');
const empty = await bundleLikeFunction(
  'EmptyHandler',
  { ...buildPropertiesOf(firstFunction), EntryPoints: ['bench/empty-handler.ts'] },
  outDir,
);
// Floors: what the required stack weighs before any code of ours, bundled the same way. They show
// how far tuning this project's code can go towards the bundle and cold-init targets.
const FLOORS = [
  { id: 'FloorSdkClient', entry: 'bench/floors/sdk-client.ts', what: 'one SDK client (Auto Scaling), nothing else' },
  { id: 'FloorTracer', entry: 'bench/floors/tracer.ts', what: 'Powertools tracer (with the X-Ray SDK), nothing else' },
  {
    id: 'FloorRequiredStack',
    entry: 'bench/floors/required-stack.ts',
    what: 'logger + metrics + tracer + one SDK client + middy + one zod schema',
  },
];
const floors = await Promise.all(
  FLOORS.map(async (f) => ({
    ...f,
    built: await bundleLikeFunction(f.id, { ...buildPropertiesOf(firstFunction), EntryPoints: [f.entry] }, outDir),
  })),
);
const bundles = built.map((b) => {
  const code = readFileSync(b.outfile);
  return {
    function: b.logicalId,
    minifiedKb: round(b.bytes / 1024, 1),
    gzipKb: round(gzipSync(code).length / 1024, 1),
  };
});

if (values.baseline) {
  writeFileSync(
    BASELINE_PATH,
    `${JSON.stringify(Object.fromEntries(built.map((b) => [b.logicalId, b.bytes])), null, 2)}\n`,
  );
  log(`bundle baseline written to ${BASELINE_PATH}`);
}

// 2. Cold init: a fresh Node process per run, every bundle in turn (so drift hits all alike).
log(`cold init: ${RUNS} runs of ${built.length + 1 + floors.length} bundles…`);
const lambdaEnv = (logicalId?: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_LAMBDA_FUNCTION_NAME: logicalId ?? 'EmptyHandler',
  ...(logicalId ? functionEnvironment(template, logicalId, { DryRun: 'false', Environment: 'bench' }) : {}),
});
const coldSamples = new Map<string, { processMs: number[]; importMs: number[] }>();
for (let run = 0; run < RUNS; run += 1) {
  for (const bundle of [empty, ...floors.map((f) => f.built), ...built]) {
    const started = performance.now();
    const isFunction = built.includes(bundle);
    const child = spawnSync(process.execPath, [join(ROOT, 'bench', 'cold-init.mjs'), bundle.outfile], {
      env: lambdaEnv(isFunction ? bundle.logicalId : undefined),
      encoding: 'utf8',
    });
    const processMs = performance.now() - started;
    if (child.status !== 0) throw new Error(`${bundle.logicalId} failed to load: ${child.stderr}`);
    const samples = coldSamples.get(bundle.logicalId) ?? { processMs: [], importMs: [] };
    samples.processMs.push(processMs);
    samples.importMs.push(Number(child.stdout));
    coldSamples.set(bundle.logicalId, samples);
  }
}
const coldOf = (id: string) => {
  const s = coldSamples.get(id) ?? { processMs: [], importMs: [] };
  return { processMs: round(median(s.processMs), 1), importMs: round(median(s.importMs), 1) };
};
const emptyCold = coldOf('EmptyHandler');

// 3. Warm latency, in a child whose stdout (the handlers' EMF and logs) is discarded, as CloudWatch would take it.
log(`warm latency: ${CALLS} calls per handler…`);
const warmFile = join(outDir, 'warm.json');
const warmChild = spawnSync(process.execPath, [TSX, join(ROOT, 'bench', 'warm.ts'), warmFile, String(CALLS)], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (warmChild.status !== 0) throw new Error('bench/warm.ts failed');
const warm = JSON.parse(readFileSync(warmFile, 'utf8')) as Record<
  string,
  { p50: number; p99: number; calls: number; error?: string }
>;

// 4. Ingest throughput, in this process.
log('ingest throughput…');
const ingestChild = spawnSync(process.execPath, [TSX, join(ROOT, 'bench', 'ingest.ts'), '2.5'], { encoding: 'utf8' });
if (ingestChild.status !== 0) throw new Error(`bench/ingest.ts failed: ${ingestChild.stderr}`);
const ingest = JSON.parse(ingestChild.stdout) as ReturnType<typeof ingestThroughput>;

// 5 and 6. Cost per incident and reaction time, from complete drills (one process each: the
// handlers bind their SDK clients to the first sandbox they see).
log(`drill: ${DRILLS} cold and ${DRILLS} warm runs for cost and reaction time…`);
interface DrillIncident {
  incident: string;
  rule: string;
  outcome: string;
  kind: string;
  cost: { transitions: number; lambdaInvocations: number; lambdaBilledMs: number; usd: number } | null;
  reactionMs: number | null;
  mttr?: { firstChangeSeconds?: number; verifiedOkSeconds?: number; platformLagSeconds?: number };
  functionsToFirstChange?: string[] | null;
  actionType?: string;
}
type DrillReport = { passed: boolean; incidents: DrillIncident[] };
const runDrillProcess = (extra: string[]): DrillReport => {
  const child = spawnSync(process.execPath, [TSX, join(ROOT, 'local', 'drill.ts'), '--json', ...extra], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`drill failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as DrillReport;
};
// Cold: the game day is the first work of a fresh process (every handler, SDK client and code
// path runs for the first time, as in a fleet of cold Lambda containers). Warm: the same game day
// again in a process that has just run it once (--warm-up), as in warm containers.
const drills: DrillReport[] = Array.from({ length: DRILLS }, () => runDrillProcess([]));
const warmDrills: DrillReport[] = Array.from({ length: DRILLS }, () => runDrillProcess(['--warm-up']));
const byScenario = new Map<string, DrillIncident[]>();
for (const drill of drills) {
  for (const incident of drill.incidents) {
    const key = `${incident.rule}|${incident.kind}`;
    byScenario.set(key, [...(byScenario.get(key) ?? []), incident]);
  }
}
const costs = [...byScenario.entries()].map(([key, incidents]) => {
  const [rule, kind] = key.split('|') as [string, string];
  const costed = incidents.map((i) => i.cost).filter((c): c is NonNullable<DrillIncident['cost']> => c !== null);
  return {
    rule,
    outcome: kind,
    transitions: Math.max(...costed.map((c) => c.transitions)),
    lambdaInvocations: Math.max(...costed.map((c) => c.lambdaInvocations)),
    lambdaBilledMs: Math.round(median(costed.map((c) => c.lambdaBilledMs))),
    usd: round(Math.max(...costed.map((c) => c.usd)), 6),
  };
});
const reactionsOf = (reports: DrillReport[]) =>
  reports.flatMap((d) => d.incidents.map((i) => i.reactionMs).filter((ms): ms is number => ms !== null));
const reactions = reactionsOf(drills);
const warmReactions = reactionsOf(warmDrills);

const floorBuilt = floors.find((f) => f.id === 'FloorRequiredStack');
if (!floorBuilt) throw new Error('no FloorRequiredStack floor');
const floorStack = {
  minifiedKb: round(floorBuilt.built.bytes / 1024, 1),
  coldInitMs: coldOf('FloorRequiredStack').processMs,
};

// MTTR over the cold drills' remediated incidents (simulated seconds).
const mttrSamples = drills.flatMap((d) => d.incidents.flatMap((i) => (i.mttr ? [i.mttr] : [])));
const mttrOf = (pick: (m: NonNullable<DrillIncident['mttr']>) => number | undefined) => {
  const samples = mttrSamples.map(pick).filter((v): v is number => v !== undefined);
  return { samples: samples.length, p50Seconds: percentile(samples, 50), p95Seconds: percentile(samples, 95) };
};
// The functions an incident starts between its event and its first mutating call (cold after an idle night).
const coldPaths = new Map<string, string[]>();
for (const incident of drills[0]?.incidents ?? [])
  if (incident.functionsToFirstChange)
    coldPaths.set(`${incident.rule} (${incident.actionType ?? '?'})`, incident.functionsToFirstChange);

const results = {
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    calibrationMs: { before: calibrationBefore, after: calibrate() },
  },
  targets: TARGETS,
  pricing: {
    ...PRICES,
    memoryMb,
    architecture: 'arm64',
    note: 'us-east-1 list prices; Step Functions Standard; free tiers ignored',
  },
  functions: bundles.map((b) => {
    const cold = coldOf(b.function);
    const w = warm[b.function];
    return {
      ...b,
      coldInitMs: cold.processMs,
      coldImportMs: cold.importMs,
      coldInitRatio: round(cold.processMs / emptyCold.processMs, 2),
      bundleFloorRatio: round(b.minifiedKb / floorStack.minifiedKb, 2),
      coldInitFloorRatio: round(cold.processMs / floorStack.coldInitMs, 2),
      warmP50Ms: w && !w.error ? round(w.p50, 3) : null,
      warmP99Ms: w && !w.error ? round(w.p99, 3) : null,
      warmCalls: w?.calls ?? 0,
      ...(w?.error ? { warmError: w.error } : {}),
    };
  }),
  floors: floors.map((f) => {
    const cold = coldOf(f.id);
    return {
      floor: f.id,
      what: f.what,
      minifiedKb: round(f.built.bytes / 1024, 1),
      coldInitMs: cold.processMs,
      coldImportMs: cold.importMs,
      coldInitRatio: round(cold.processMs / emptyCold.processMs, 2),
    };
  }),
  emptyHandler: {
    minifiedKb: round(empty.bytes / 1024, 1),
    coldInitMs: emptyCold.processMs,
    coldImportMs: emptyCold.importMs,
    runs: RUNS,
  },
  ingest: {
    snsPerSecond: ingest.sns.perSecond,
    eventBridgePerSecond: ingest.eventBridge.perSecond,
    snsWindows: ingest.sns.windows,
    eventBridgeWindows: ingest.eventBridge.windows,
  },
  costPerIncident: costs,
  reaction: {
    samples: reactions.length,
    p50Ms: round(percentile(reactions, 50), 1),
    p95Ms: round(percentile(reactions, 95), 1),
  },
  reactionWarm: {
    samples: warmReactions.length,
    p50Ms: round(percentile(warmReactions, 50), 1),
    p95Ms: round(percentile(warmReactions, 95), 1),
  },
  mttr: {
    alarmToFirstChange: mttrOf((m) => m.firstChangeSeconds),
    alarmToVerifiedOk: mttrOf((m) => m.verifiedOkSeconds),
    platformLag: mttrOf((m) => m.platformLagSeconds),
  },
  coldPath: {
    floor: floorStack,
    byRule: Object.fromEntries([...coldPaths].map(([rule, fns]) => [rule, { functions: fns.length, path: fns }])),
  },
  drills: { runs: DRILLS, passed: [...drills, ...warmDrills].every((d) => d.passed) },
};
writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
rmSync(outDir, { recursive: true, force: true });

// The table.
const ok = (good: boolean) => (good ? '✓' : '✗');
const rows: string[][] = [
  [
    'Function',
    'Minified KB',
    '× floor',
    'Gzip KB',
    `Cold init ms (empty ${emptyCold.processMs})`,
    '× floor',
    'Warm p50 ms',
    'Warm p99 ms',
  ],
];
for (const f of results.functions) {
  rows.push([
    f.function,
    String(f.minifiedKb),
    `${f.bundleFloorRatio} ${ok(f.bundleFloorRatio <= TARGETS.bundleFloorRatio)}`,
    String(f.gzipKb),
    `${f.coldInitMs} (import ${f.coldImportMs})`,
    `${f.coldInitFloorRatio} ${ok(f.coldInitFloorRatio <= TARGETS.coldInitFloorRatio)}`,
    `${f.warmP50Ms ?? f.warmError} ${ok((f.warmP50Ms ?? Infinity) < TARGETS.warmP50Ms)}`,
    `${f.warmP99Ms ?? '-'} ${ok((f.warmP99Ms ?? Infinity) < TARGETS.warmP99Ms)}`,
  ]);
}
const costRows = [
  ['Drill incident (rule)', 'Outcome', 'Transitions', 'Lambda invocations', 'Billed Lambda ms', 'USD / incident'],
];
for (const c of costs) {
  const happy =
    c.outcome === 'remediated'
      ? ` ${ok(c.transitions <= TARGETS.happyPathTransitions && c.usd <= TARGETS.happyPathUsd)}`
      : '';
  costRows.push([
    c.rule,
    c.outcome,
    `${c.transitions}${happy}`,
    String(c.lambdaInvocations),
    String(c.lambdaBilledMs),
    `$${c.usd.toFixed(6)}`,
  ]);
}
console.log(
  `Benchmarks ${results.date} · ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryGiB} GiB · Node ${results.machine.node} · machine speed: a fixed JSON workload took ${results.machine.calibrationMs.before} ms before the run, ${results.machine.calibrationMs.after} ms after (compare runs by it)`,
);
console.log(
  `Targets: bundle and cold init ≤ ${TARGETS.bundleFloorRatio}× the required-stack floor (${floorStack.minifiedKb} KB, ${floorStack.coldInitMs} ms; median of ${RUNS}) · warm p50 < ${TARGETS.warmP50Ms} ms, p99 < ${TARGETS.warmP99Ms} ms (${CALLS} calls)\n`,
);
console.log(table(rows));
console.log(`\nFloors: the required stack alone, bundled and loaded the same way (no code of this project):`);
console.log(
  table([
    ['Floor', 'Minified KB', `Cold init ms (empty ${emptyCold.processMs})`, '× empty'],
    ...results.floors.map((f) => [
      f.what,
      String(f.minifiedKb),
      `${f.coldInitMs} (import ${f.coldImportMs})`,
      String(f.coldInitRatio),
    ]),
  ]),
);
const rate = (t: typeof ingest.sns) =>
  `${t.perSecond.toLocaleString('en-US')}/s ${ok(t.perSecond >= TARGETS.ingestPerSecond)} (windows ${Math.min(...t.windows).toLocaleString('en-US')}–${Math.max(...t.windows).toLocaleString('en-US')})`;
console.log(
  `\nIngest throughput (parse, validate, normalise, name; median of ${ingest.sns.windows.length} windows): SNS ${rate(ingest.sns)} · EventBridge ${rate(ingest.eventBridge)} (target ≥ ${TARGETS.ingestPerSecond.toLocaleString('en-US')}/s)\n`,
);
console.log(table(costRows));
console.log(
  `Priced at $${PRICES.stateTransition * 1000} per 1,000 Standard transitions, $${PRICES.lambdaRequest * 1e6} per 1M Lambda requests, $${PRICES.lambdaGbSecondArm64} per GB-s (arm64, ${memoryMb} MB); worst of ${DRILLS} drills. Target for remediated incidents: ≤ ${TARGETS.happyPathTransitions} transitions and ≤ $${TARGETS.happyPathUsd}.\n`,
);
console.log(
  `Local reaction time (event injected → first mutating call at the sandbox, approval wait excluded), ${reactions.length} incidents over ${DRILLS} drills: p50 ${results.reaction.p50Ms} ms ${ok(results.reaction.p50Ms < TARGETS.reactionP50Ms)} · p95 ${results.reaction.p95Ms} ms (target p50 < ${TARGETS.reactionP50Ms} ms)`,
);
console.log(
  `  warm (the same game day again in the same process, ${warmReactions.length} incidents over ${DRILLS} drills): p50 ${results.reactionWarm.p50Ms} ms ${ok(results.reactionWarm.p50Ms < TARGETS.reactionP50Ms)} · p95 ${results.reactionWarm.p95Ms} ms`,
);
const m = results.mttr;
const secs = (v: number) => (Number.isNaN(v) ? '-' : `${round(v, 1)} s`);
console.log(
  `\nMTTR over ${m.alarmToVerifiedOk.samples} remediated incidents of ${DRILLS} drills (simulated): ALARM → first mutating call p50 ${secs(m.alarmToFirstChange.p50Seconds)} · p95 ${secs(m.alarmToFirstChange.p95Seconds)}; ALARM → verified OK p50 ${secs(m.alarmToVerifiedOk.p50Seconds)} · p95 ${secs(m.alarmToVerifiedOk.p95Seconds)}; platform lag (alarm OK → outcome recorded) p50 ${secs(m.platformLag.p50Seconds)} · p95 ${secs(m.platformLag.p95Seconds)} ${ok(m.platformLag.p95Seconds <= TARGETS.platformLagP95Seconds)} (target p95 ≤ ${TARGETS.platformLagP95Seconds} s)`,
);
console.log(
  `Functions started between an alarm and its first mutating call (each cold after an idle night): ${Object.entries(
    results.coldPath.byRule,
  )
    .map(([rule, p]) => `${rule} ${p.functions} (${p.path.join(' → ')})`)
    .join('; ')}`,
);
console.log(`\nWritten to ${values.out}`);

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
