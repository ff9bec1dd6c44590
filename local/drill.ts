// npm start — the self-healing drill. Starts the local AWS sandbox with the game-day fleet,
// injects the faults, delivers the alarms and events they cause through the real ingest path
// (SNS-shaped to AlarmIngestFunction, EventBridge-shaped routed by template.yaml's rules), runs
// the real workflow, and prints a timeline and a summary. Exit 0 only when every incident is
// remediated and verified.
import { readFileSync } from 'node:fs';
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { parseArgs } from 'node:util';
import type { IngestResponse, IngestResult } from '../functions/aws/ingest';
import { type Expectation, type ReplayEvent, checkReplay, loadReplay, play, prepareFleet } from './replay';
import { ManualRequestSchema } from '../functions/domain/manual';
import { describeIssues } from '../functions/domain/inbound/format';
import { parseFaults } from './sandbox/faults';
import { invokeLocally, lambdaContext } from './lambda-context';
import { buildResourcesNamedBy, resourcesNamedBy, stageAlarmOf } from './event-resources';
import {
  type Delivery,
  type TimelineEntry,
  callsFor,
  clockLabel,
  duration,
  executionTimeline,
  mttrFigures,
  summarise,
  table,
} from './report';
import { matchingRules, routesOf } from './eventbridge/routes';
import { GAME_DAY, SCENARIOS, gameDayFleet, inboundOfFleetEvent } from './scenarios';
import type { FleetEvent } from './sandbox/fleet';
import { realNow } from './sim/virtual-clock';
import { type Simulation, startSimulation } from './sim/simulation';
import { Random } from './sim/random';
import { type ChaosPlan, chaosPlan } from './sim/chaos';
import { checkInvariants } from './sim/invariants';
import { DEFAULT_COOLDOWN_SECONDS } from '../functions/domain/policy/defaults';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type CallRecord, Sandbox, stableJson } from './sandbox/server';
import { functionsToFirstChange, incidentCost, reactionMs } from './cost';
import { loadTemplate } from './template';
import { type LambdaHandler, substitutedDefinition } from './workflow';

const USAGE = `Usage: npm start -- [--scenario <name>]… [--faults <spec>] [--event <file>] [--json] [--seed <n>] [--chaos] [--bundles <dir>]
  --scenario   ${[...Object.keys(SCENARIOS), 'game-day'].join(' | ')} (default: game-day, the first eight)
  --faults     e.g. "AutoScaling.SetDesiredCapacity:first=2;*:throttle=0.3" (see local/sandbox/faults.ts)
  --event      push one inbound event (SNS, EventBridge or a manual request) through the pipeline
  --json       machine-readable report on stdout
  --seed       seed of every random choice (faults, ids): the same seed replays the same run (default 42)
  --approvals  approve | reject: how the drill's on-call answers approval requests (default approve)
  --dry-run    deploy-time dry run (stack parameter DryRun=true): every incident reports, nothing changes
  --replay     replay a recorded event sequence (replays/*.json) and check the decisions it expects
  --warm-up    run the same drill once first, unreported, in this process: the figures are then
               for warm functions (npm run bench reports reaction time both ways)
  --bundles    run the bundles npm run build made (.aws-sam/build), as they would ship, not the source
  --now        the simulated time to start at (ISO 8601); with --event, the event's own time by default
  --lose-events  drop every inbound event whose description contains this text, as if AWS never
               delivered it (e.g. "→ OK": the workflow's waits then end by their fallback poll)
  --chaos      a game day generated from --seed: a mix of the scenarios, AWS faults (throttling, 5xx,
               changes whose answer is lost), duplicate, late and shuffled deliveries, the kill switch
               flipped, approvals late, never or rejected, incidents re-run by hand; passes when no
               safety invariant is broken (npm run simulate sweeps many seeds)`;

const SIM_DEADLINE_MS = 4 * 60 * 60 * 1000;
const QUIET_MS = 20 * 60 * 1000;
/** A late copy comes this long before the deadline at the latest: time for what it starts. */
const LATE_COPY_ROOM_MS = 60 * 60 * 1000;
const ASYNC_RETRIES = 2;
/** How often the harness looks at the fleet, in simulated time. */
const TICK_MS = 1000;

interface Options {
  scenarios: string[];
  faults?: string;
  eventFile?: string;
  /** The --event file, read and checked once, when the options are. */
  inboundEvent?: ReturnType<typeof readInboundEvent>;
  json: boolean;
  seed: number;
  /** How the drill answers approval requests, a simulated minute after they arrive. */
  approvals: 'approve' | 'reject';
  /** The stack parameter DryRun: every incident is planned and reported, nothing changes. */
  dryRun?: boolean;
  /** A recorded event sequence to replay instead of scenarios. */
  replay?: string;
  /** Run the drill once, unreported, before the one reported (warm handlers and SDK clients). */
  warmUp?: boolean;
  /** The sandbox's port (0: any free one). */
  port?: number;
  /** Run the built bundles in this folder (npm run build writes .aws-sam/build) instead of the source. */
  bundles?: string;
  /** A generated game day from the seed (scenarios, faults, messy deliveries, operator actions). */
  chaos?: boolean;
  /** Inbound events whose description contains this are never delivered (lost by AWS). */
  loseEvents?: string;
  /** Simulated start (ms): with --event, a moment after the event's own time unless --now says. */
  now?: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', multiple: true },
      faults: { type: 'string' },
      event: { type: 'string' },
      json: { type: 'boolean', default: false },
      seed: { type: 'string', default: '42' },
      approvals: { type: 'string', default: 'approve' },
      'dry-run': { type: 'boolean', default: false },
      replay: { type: 'string' },
      'warm-up': { type: 'boolean', default: false },
      bundles: { type: 'string' },
      chaos: { type: 'boolean', default: false },
      'lose-events': { type: 'string' },
      now: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const requested = (values.scenario ?? ['game-day']).flatMap((s) => (s === 'game-day' ? GAME_DAY : [s]));
  for (const name of requested) {
    if (!SCENARIOS[name]) throw new Error(`Unknown scenario "${name}". ${USAGE}`);
  }
  // Every value is checked before anything starts: a bad one is a one-line error and exit 2.
  if (values.approvals !== 'approve' && values.approvals !== 'reject')
    throw new Error(`--approvals must be approve or reject, not "${values.approvals ?? ''}"`);
  if (!/^\d+$/.test(values.seed ?? '')) throw new Error(`--seed must be a whole number, not "${values.seed ?? ''}"`);
  if (values.faults) parseFaults(values.faults);
  const inbound = values.event ? readInboundEvent(values.event) : undefined;
  const now = values.now !== undefined ? Date.parse(values.now) : inbound ? eventTime(inbound.event) : undefined;
  if (values.now !== undefined && !Number.isFinite(now))
    throw new Error(`--now must be an ISO 8601 time (2026-11-23T10:16:00Z), not "${values.now}"`);
  return {
    scenarios: values.event || values.replay ? [] : requested,
    ...(values.replay ? { replay: values.replay } : {}),
    ...(values.faults ? { faults: values.faults } : {}),
    ...(values.event && inbound ? { eventFile: values.event, inboundEvent: inbound } : {}),
    json: values.json ?? false,
    seed: Number(values.seed),
    approvals: values.approvals,
    dryRun: values['dry-run'] ?? false,
    warmUp: values['warm-up'] ?? false,
    ...(values.bundles !== undefined ? { bundles: values.bundles || '.aws-sam/build' } : {}),
    ...(values.chaos ? { chaos: true } : {}),
    ...(values['lose-events'] ? { loseEvents: values['lose-events'] } : {}),
    ...(now !== undefined && Number.isFinite(now) ? { now } : {}),
  };
}

/** When an inbound event says it happened, plus the moment delivery takes: the time to judge it at. */
function eventTime(event: Record<string, unknown>): number | undefined {
  const ms = Date.parse(resourcesNamedBy(event).at ?? '');
  return Number.isFinite(ms) ? ms + 2000 : undefined;
}

/**
 * Powertools writes JSON logs and EMF to stdout (and a warning when a function emitted no metric);
 * keep them off the report, and on stderr with DRILL_VERBOSE=1.
 */
function captureHandlerOutput(): (text: string) => void {
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const verbose = process.env.DRILL_VERBOSE === '1';
  process.stdout.write = (chunk: string | Uint8Array, ...rest: never[]) => {
    if (chunk.toString().startsWith('{')) return verbose ? writeErr(chunk) : true;
    return write(chunk, ...rest);
  };
  process.stderr.write = (chunk: string | Uint8Array, ...rest: never[]) => {
    if (!verbose && chunk.toString().startsWith('No application metrics to publish')) return true;
    return writeErr(chunk, ...rest);
  };
  return (text: string) => void write(text);
}

type Inbound = {
  event: unknown;
  channel: Delivery['channel'];
  description: string;
  replayIndex?: number;
  late?: boolean;
};

interface Expected {
  remediated: number;
  guardSkipped: number;
  dryRuns: number;
  notApproved: number;
  escalated: number;
  budgetExhausted: number;
  shadow: number;
  refused: number;
}

/** What the chosen scenarios should end in; a dry run turns every would-be change into a dry run. */
function expectationsFor(options: Options): { expected: Expected; incidents: number } {
  const expected: Expected = {
    remediated: 0,
    guardSkipped: 0,
    dryRuns: 0,
    notApproved: 0,
    escalated: 0,
    budgetExhausted: 0,
    shadow: 0,
    refused: 0,
  };
  for (const name of options.scenarios) {
    const scenario = SCENARIOS[name];
    if (!scenario) continue;
    const rejected = options.approvals === 'reject' ? (scenario.approvalsNeeded ?? 0) : 0;
    expected.remediated += scenario.expects.remediated - rejected;
    expected.notApproved += rejected;
    expected.guardSkipped += scenario.expects.guardSkipped ?? 0;
    expected.dryRuns += scenario.expects.dryRuns ?? 0;
    expected.escalated += rejected > 0 ? 0 : (scenario.expects.escalated ?? 0);
    expected.budgetExhausted += scenario.expects.budgetExhausted ?? 0;
    expected.shadow += scenario.expects.shadow ?? 0;
    expected.refused += scenario.expects.refused ?? 0;
  }
  if (options.dryRun) {
    // Nothing changes, so nothing cools down or waits for approval: every incident is a dry run.
    expected.dryRuns += expected.remediated + expected.guardSkipped + expected.notApproved + expected.budgetExhausted;
    expected.remediated =
      expected.guardSkipped =
      expected.notApproved =
      expected.escalated =
      expected.budgetExhausted =
        0;
  }
  const incidents =
    expected.remediated +
    expected.guardSkipped +
    expected.dryRuns +
    expected.notApproved +
    expected.budgetExhausted +
    expected.shadow +
    expected.refused;
  return { expected, incidents };
}

type Summary = ReturnType<typeof summarise>;

/** The other skips, by reason (Stale, NoMatchingRule, AlreadyRecovered…). */
function skippedText(summaries: Summary[]): string {
  const skipped = summaries.filter((s) => s.kind === 'skipped');
  const reasons = new Map<string, number>();
  for (const s of skipped) reasons.set(s.reason ?? '?', (reasons.get(s.reason ?? '?') ?? 0) + 1);
  return `${skipped.length} skipped otherwise${reasons.size > 0 ? ` (${[...reasons].map(([r, n]) => `${n} ${r}`).join(', ')})` : ''}`;
}

/** What ingest made of every delivery: started, duplicate, ignored (and how many waits it ended), rejected. */
function ingestText(deliveries: Delivery[]): string {
  const results = deliveries.flatMap((d) => d.results);
  const count = (status: string) => results.filter((r) => r.status === status).length;
  const resumed = results.reduce((n, r) => n + (r.resumed ?? 0), 0);
  const lost = deliveries.filter((d) => d.error).length;
  return `${results.length} records (${count('started')} started, ${count('duplicate')} duplicate, ${count('ignored')} ignored, ${count('rejected')} rejected${lost ? `, ${lost} deliveries failed` : ''}), ${resumed} waits ended by events`;
}

/** Outcomes no scenario of a plain game day leads to: an unexpected skip, notification or rejected record fails the run. */
function unexpectedOutcomes(summaries: Summary[], deliveries: Delivery[]): string[] {
  return [
    ...summaries
      .filter((s) => s.kind === 'skipped' || s.kind === 'notified')
      .map((s) => `unexpected outcome: ${s.incident} ${s.outcome}${s.reason ? ` (${s.reason})` : ''}`),
    ...deliveries
      .flatMap((d) =>
        d.results.filter((r) => r.status === 'rejected').map((r) => `${d.description}: ${r.reason ?? ''}`),
      )
      .map((text) => `unexpected rejected record: ${text}`),
  ];
}

/** How the summaries fall short of what was expected (empty when they do not). */
function shortfallsOf(expected: Expected, summaries: Summary[]): string[] {
  const counted = (kind: Summary['kind']) => summaries.filter((s) => s.kind === kind).length;
  const remediated = counted('remediated');
  const escalated = summaries.filter((s) => s.kind === 'remediated' && (s.steps?.length ?? 0) > 1).length;
  return [
    remediated < expected.remediated ? `expected ${expected.remediated} remediated, saw ${remediated}` : '',
    // A guard skip that comes late (after the cooldown) acts instead: also fine if it is verified.
    remediated + counted('guard-skip') < expected.remediated + expected.guardSkipped
      ? `expected ${expected.guardSkipped} more skipped by the guard (or remediated), saw ${counted('guard-skip')}`
      : '',
    counted('dry-run') < expected.dryRuns ? `expected ${expected.dryRuns} dry runs, saw ${counted('dry-run')}` : '',
    counted('not-approved') < expected.notApproved
      ? `expected ${expected.notApproved} not approved, saw ${counted('not-approved')}`
      : '',
    escalated < expected.escalated
      ? `expected ${expected.escalated} escalations that climbed a step and recovered, saw ${escalated}`
      : '',
    counted('budget-exhausted') < expected.budgetExhausted
      ? `expected ${expected.budgetExhausted} held back by the budget, saw ${counted('budget-exhausted')}`
      : '',
    counted('shadow') < expected.shadow ? `expected ${expected.shadow} shadow decisions, saw ${counted('shadow')}` : '',
    counted('refused') < expected.refused ? `expected ${expected.refused} refused, saw ${counted('refused')}` : '',
  ].filter(Boolean);
}

/** The drill's world while it runs: the simulation, the inbound queue, the timeline, and the clients an on-call uses. */
interface DrillRun {
  options: Options;
  simulation: Simulation;
  clock: Simulation['clock'];
  sandbox: Sandbox;
  fleet: Sandbox['fleet'];
  start: number;
  stepFunctions: SFNClient;
  routes: ReturnType<typeof routesOf>;
  timeline: TimelineEntry[];
  deliveries: Delivery[];
  inbound: Inbound[];
  resultsByEvent: IngestResult[][];
  lastActivity: number;
  /** What the sandbox built for the --event file (resources the fleet did not have). */
  builtForEvent: string[];
}

/** Pushes one inbound event through the real ingest path (Lambda retries a failed asynchronous invocation). */
async function deliver(run: DrillRun, item: Inbound): Promise<void> {
  const { clock, timeline } = run;
  if (run.options.loseEvents && item.description.includes(run.options.loseEvents)) {
    timeline.push({ at: clock.now(), kind: 'EVENT', text: `LOST (never delivered): ${item.description}` });
    return;
  }
  const at = clock.now();
  const delivery: Delivery = {
    at,
    wallMs: realNow(),
    channel: item.channel,
    description: item.description,
    routedTo: [],
    results: [],
  };
  // Template: EventInvokeConfig MaximumRetryAttempts 2.
  for (let attempt = 1; attempt <= 1 + ASYNC_RETRIES; attempt++) {
    delivery.routedTo = [];
    delivery.results = [];
    const error = await attemptDelivery(run, item, delivery);
    if (!error) {
      delete delivery.error;
      break;
    }
    delivery.error = error;
    if (attempt <= ASYNC_RETRIES)
      timeline.push({ at: clock.now(), kind: 'EVENT', text: `delivery failed (${error}); Lambda retries it` });
  }
  run.lastActivity = clock.now();
  run.deliveries.push(delivery);
  if (item.replayIndex !== undefined) run.resultsByEvent[item.replayIndex]?.push(...delivery.results);
  timeline.push({
    at,
    kind: 'EVENT',
    text: `${item.channel === 'sns' ? 'SNS' : item.channel === 'eventbridge' ? 'EventBridge' : 'Manual'}  ${item.description}${delivery.routedTo.length ? `  → ${delivery.routedTo.join(', ')}` : '  → no rule matches: not delivered'}`,
  });
  for (const result of delivery.results) {
    timeline.push({
      at,
      kind: 'INCIDENT',
      text: `${result.status} ${result.executionName ?? ''}${result.reason ? ` (${result.reason})` : ''}${result.resumed ? `; resumed ${result.resumed} waiting execution${result.resumed > 1 ? 's' : ''}` : ''}`,
    });
  }
  if (delivery.error) timeline.push({ at, kind: 'INCIDENT', text: `delivery failed: ${delivery.error}` });
}

async function attemptDelivery(run: DrillRun, item: Inbound, delivery: Delivery): Promise<string | undefined> {
  const invoke = async (functionId: string, event: unknown): Promise<IngestResponse> => {
    const handler = run.sandbox.handlers[functionId] as LambdaHandler;
    return (await invokeLocally(
      handler,
      JSON.parse(JSON.stringify(event)),
      lambdaContext(functionId),
    )) as IngestResponse;
  };
  try {
    if (item.channel === 'sns') {
      delivery.routedTo.push('AlarmIngestFunction (SNS AlarmTopic)');
      delivery.results.push(...(await invoke('AlarmIngestFunction', item.event)).results);
    } else if (item.channel === 'eventbridge') {
      for (const route of matchingRules(run.routes, item.event)) {
        delivery.routedTo.push(`${route.functionId} (rule ${route.eventName})`);
        delivery.results.push(...(await invoke(route.functionId, item.event)).results);
      }
    } else {
      delivery.routedTo.push('RemediationStateMachine (manual execution)');
      const name = `manual-${Date.now().toString(36)}-${run.deliveries.length}`;
      await run.stepFunctions.send(
        new StartExecutionCommand({
          stateMachineArn: process.env.STATE_MACHINE_ARN,
          name,
          input: JSON.stringify(item.event),
        }),
      );
      delivery.results.push({ status: 'started', executionName: name });
    }
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  return undefined;
}

/** What the fleet raises (alarm transitions, instance state changes, activities ending) arrives as AWS would send it. */
function listenToFleet(run: DrillRun): void {
  run.fleet.onEvent((event: FleetEvent) => run.inbound.push(inboundOfFleetEvent(run.fleet, event)));
}

/** An inbound event from a file: an SNS notification, an EventBridge event or a manual request; or a clear error. */
function readInboundEvent(file: string): { channel: Inbound['channel']; event: Record<string, unknown> } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`--event ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (error) {
    throw new Error(`--event ${file}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    throw new Error(
      `--event ${file}: expected a JSON object (an SNS notification, an EventBridge event or a manual request)`,
    );
  const record = event as Record<string, unknown>;
  if ('Records' in record) return { channel: 'sns', event: record };
  if ('detail-type' in record) return { channel: 'eventbridge', event: record };
  const manual = ManualRequestSchema.safeParse(record);
  if (!manual.success)
    throw new Error(
      `--event ${file}: neither an SNS notification (Records), an EventBridge event (detail-type) nor a manual request: ${describeIssues(manual.error)}`,
    );
  return { channel: 'manual', event: record };
}

/** The given event file and the scenarios' faults and manual requests, put in motion. */
function injectScenarios(run: DrillRun): void {
  const { options, inbound, timeline, clock } = run;
  if (options.eventFile && options.inboundEvent) {
    const { inboundEvent } = options;
    if (inboundEvent.channel !== 'manual')
      for (const built of buildResourcesNamedBy(
        run.fleet,
        inboundEvent.event,
        inboundEvent.channel === 'sns' ? 'sns' : 'eventbridge',
      )) {
        run.builtForEvent.push(built);
        timeline.push({ at: clock.now(), kind: 'SETUP', text: `built for ${options.eventFile}: ${built}` });
      }
    stageAlarmOf(run.fleet, inboundEvent.event);
    inbound.push({ ...inboundEvent, description: options.eventFile });
  }
  for (const name of options.scenarios) {
    const scenario = SCENARIOS[name];
    if (!scenario) continue;
    timeline.push({ at: clock.now(), kind: 'FAULT', text: `${scenario.name}: ${scenario.description}` });
    scenario.inject(run.fleet);
    for (const request of scenario.requests ?? [])
      inbound.push({
        channel: 'manual',
        description: `manual execution: ${(request as { reason?: string }).reason ?? ''}`,
        event: request,
      });
  }
}

/**
 * The on-call engineer: answers each approval request `delayMs` (simulated) after it arrives,
 * through the Step Functions API, as the notification's commands would.
 */
function onCall(run: DrillRun, answer: Options['approvals'] | 'never', delayMs: number): () => Promise<void> {
  const answered = new Set<string>();
  return async () => {
    for (const [token, task] of run.sandbox.pendingTasks) {
      // Executions waiting for an event (Await states) are not asking anyone.
      if ((task.payload as { phase?: string }).phase !== undefined) continue;
      if (answered.has(token) || run.clock.now() - task.since < delayMs || answer === 'never') continue;
      answered.add(token);
      const incidentId = (task.payload as { state?: { incident?: { id?: string } } }).state?.incident?.id ?? token;
      const approve = answer === 'approve';
      if (approve)
        await run.stepFunctions.send(
          new SendTaskSuccessCommand({
            taskToken: token,
            output: JSON.stringify({ approved: true, by: 'drill on-call' }),
          }),
        );
      else
        await run.stepFunctions.send(
          new SendTaskFailureCommand({ taskToken: token, error: 'NotApproved', cause: 'drill on-call rejected it' }),
        );
      run.timeline.push({
        at: run.clock.now(),
        kind: 'APPROVAL',
        text: `${incidentId}: ${approve ? 'approved' : 'rejected'} by the drill's on-call`,
      });
    }
  };
}

/** Chaos: deliveries that come again much later; the operator's kill switch and re-runs. */
function chaosOperator(run: DrillRun, plan: ChaosPlan, random: Random) {
  const { clock, sandbox, timeline, start } = run;
  const later: { at: number; item: Inbound }[] = [];
  const killSwitchOn: { from: number; to?: number }[] = [];
  const rerun = new Set<string>();
  const operate = async () => {
    for (const due of later.filter((l) => l.at <= clock.now())) {
      later.splice(later.indexOf(due), 1);
      run.inbound.push({ ...due.item, description: `${due.item.description} (delivered again, late)` });
    }
    const elapsed = clock.now() - start;
    const kill = plan.killSwitch;
    const switchOn =
      kill !== undefined && elapsed >= kill.onAtMs && (kill.offAtMs === undefined || elapsed < kill.offAtMs);
    const isOn = killSwitchOn.length > 0 && killSwitchOn.at(-1)?.to === undefined;
    if (switchOn !== isOn) {
      setKillSwitch(sandbox, switchOn === true);
      if (switchOn) killSwitchOn.push({ from: clock.now() });
      else (killSwitchOn.at(-1) as { to?: number }).to = clock.now();
      timeline.push({ at: clock.now(), kind: 'OPERATOR', text: `kill switch ${switchOn ? 'ON' : 'off'}` });
    }
    for (const execution of sandbox.executions.values()) {
      if (execution.status === 'RUNNING' || rerun.has(execution.name) || execution.name.startsWith('rerun-')) continue;
      rerun.add(execution.name);
      if (random.float() >= plan.rerun) continue;
      const name = `rerun-${execution.name}`.slice(0, 80);
      await run.stepFunctions.send(
        new StartExecutionCommand({
          stateMachineArn: process.env.STATE_MACHINE_ARN,
          name,
          input: JSON.stringify(execution.input),
        }),
      );
      timeline.push({ at: clock.now(), kind: 'OPERATOR', text: `re-ran ${execution.name} by hand as ${name}` });
    }
  };
  /** Delivers what is queued, with the plan's duplicates and late copies. */
  const deliverAll = async () => {
    if (plan.shuffle) shuffle(run.inbound, random);
    while (run.inbound.length > 0) {
      const next = run.inbound.shift();
      if (!next) continue;
      await deliver(run, next);
      if (random.float() < plan.duplicate) await deliver(run, next);
      // An original delivery may come again much later (once: a late copy is not delayed again), and
      // in time for what it then starts to finish before the game day's deadline (sweep seed 164).
      if (!next.late && random.float() < plan.redeliver.chance) {
        const lastChance = start + SIM_DEADLINE_MS - LATE_COPY_ROOM_MS;
        const at = Math.max(clock.now(), Math.min(clock.now() + plan.redeliver.afterMs, lastChance));
        later.push({ at, item: { ...next, late: true } });
      }
    }
  };
  return { operate, deliverAll, later, killSwitchOn };
}

/**
 * Lets time pass: delivers what the fleet raises until every incident is through, nothing has
 * happened for a long simulated while, or the deadline. True when the deadline was hit.
 */
async function runUntilQuiet(
  run: DrillRun,
  replayQueue: { event: ReplayEvent; index: number }[],
  step: { answerApprovals: () => Promise<void>; chaos?: ReturnType<typeof chaosOperator> },
  expectedIncidents: number,
): Promise<boolean> {
  const { clock, fleet, sandbox, start } = run;
  for (;;) {
    fleet.tick();
    // Recorded events whose time has come: deployments change the estate, alarms and payloads arrive.
    while (replayQueue[0] && replayQueue[0].event.at * 1000 <= clock.now() - start) {
      const { event, index } = replayQueue.shift() as (typeof replayQueue)[number];
      if ('deploy' in event)
        run.timeline.push({
          at: clock.now(),
          kind: 'FAULT',
          text: `${event.deploy.application} ${event.deploy.version} deployed to ${event.deploy.deploymentGroup} (replayed)`,
        });
      for (const delivery of play(fleet, event)) run.inbound.push({ ...delivery, replayIndex: index });
    }
    await step.answerApprovals();
    if (step.chaos) {
      await step.chaos.operate();
      await step.chaos.deliverAll();
    } else {
      for (let next = run.inbound.shift(); next; next = run.inbound.shift()) await deliver(run, next);
    }
    const executions = [...sandbox.executions.values()];
    const running = executions.some((e) => e.status === 'RUNNING');
    if (running) run.lastActivity = clock.now();
    const idle =
      !running && run.inbound.length === 0 && replayQueue.length === 0 && (step.chaos?.later.length ?? 0) === 0;
    const allStarted = executions.length >= expectedIncidents && (expectedIncidents > 0 || run.deliveries.length > 0);
    if (!step.chaos && idle && allStarted) return false;
    // Nothing running, nothing arriving, for a long simulated while: what is missing will not come.
    if (idle && clock.now() - run.lastActivity > QUIET_MS) return false;
    // The deadline is hit only by work still outstanding: a quiet game day that ran long is done.
    if (clock.now() - start > SIM_DEADLINE_MS) return !idle;
    await clock.sleep(TICK_MS, '~drill');
  }
}

/** Each incident as the report shows it: its summary, how it arrived, its plan, its calls and what it cost. */
/** The function a Task state invokes (its `${XFunctionArn}`), from the ASL as SAM substitutes it. */
let definition: ReturnType<typeof substitutedDefinition> | undefined;
function functionOfState(state: string): string | undefined {
  definition ??= substitutedDefinition();
  const task = definition.States[state] as { Resource?: string; Parameters?: { FunctionName?: string } } | undefined;
  return (task?.Parameters?.FunctionName ?? task?.Resource)?.split(':function:')[1];
}

function incidentReports(run: DrillRun, summaries: Summary[], memoryMb: number) {
  return [...run.sandbox.executions.values()].map((execution, index) => {
    const input = execution.input as { target?: Record<string, unknown>; alarm?: { name?: string } };
    const delivery = run.deliveries.find((d) => d.results.some((r) => r.executionName === execution.name));
    const output = (execution.run?.output ?? {}) as Record<string, unknown>;
    const identifiers = [
      input.alarm?.name ?? '',
      ...Object.values(input.target ?? {})
        .flatMap((v): unknown[] => (typeof v === 'object' && v ? Object.values(v) : [v]))
        .map(String),
    ];
    const calls = callsFor(run.sandbox.calls, identifiers);
    return {
      ...summaries[index],
      event: delivery
        ? { channel: delivery.channel, description: delivery.description, routedTo: delivery.routedTo }
        : null,
      ingest: delivery?.results.find((r) => r.executionName === execution.name) ?? null,
      plan: output.plan ?? null,
      applied: output.applied ?? null,
      statesVisited: execution.run?.states ?? [],
      apiCalls: calls.map((c) => ({ at: c.at, operation: c.operation, outcome: c.outcome, params: c.params })),
      cost: execution.run ? incidentCost(execution.run, memoryMb, delivery ? 1 : 0) : null,
      reactionMs:
        execution.run && delivery && (output.applied as { applied?: boolean } | undefined)?.applied
          ? (reactionMs(delivery.wallMs, calls, execution.run) ?? null)
          : null,
      functionsToFirstChange:
        execution.run && (output.applied as { applied?: boolean } | undefined)?.applied
          ? (functionsToFirstChange(execution.run, delivery?.routedTo[0]?.split(' ')[0], functionOfState) ?? null)
          : null,
    };
  });
}

/** Starts the simulation (sandbox, fleet, virtual clock) the drill runs in. */
async function startDrill(options: Options, replay: ReturnType<typeof loadReplay> | undefined): Promise<DrillRun> {
  const scenarioParameters = Object.assign(
    {},
    ...options.scenarios.map((name) => SCENARIOS[name]?.parameters ?? {}),
  ) as Record<string, string>;
  // The harness is a process of the simulation: time passes only while it (and all else) waits.
  const simulation = await startSimulation({
    seed: options.seed,
    parameters: { ...scenarioParameters, DryRun: options.dryRun ? 'true' : 'false' },
    fleet: (clock) => {
      const fleet = gameDayFleet(clock);
      if (replay) prepareFleet(fleet, replay);
      return fleet;
    },
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.port ? { port: options.port } : {}),
    ...(options.bundles ? { bundles: options.bundles } : {}),
    ...(options.now !== undefined ? { start: options.now } : {}),
  });
  const { clock, sandbox } = simulation;
  const run: DrillRun = {
    options,
    simulation,
    clock,
    sandbox,
    fleet: sandbox.fleet,
    start: clock.now(),
    // Created after the sandbox set AWS_ENDPOINT_URL: manual executions and approvals go through its API.
    // The on-call keeps trying as a person would: with 30 % of calls throttled, the SDK's default
    // 3 attempts all fail about once in 37 answers.
    stepFunctions: new SFNClient({ maxAttempts: 8 }),
    routes: routesOf(loadTemplate()),
    timeline: [],
    deliveries: [],
    inbound: [],
    resultsByEvent: (replay?.events ?? []).map(() => []),
    lastActivity: clock.now(),
    builtForEvent: [],
  };
  return run;
}

/** What the run shows: each incident summarised, what fell short, replay checks, broken invariants, and the verdict. */
function judgeDrill(
  run: DrillRun,
  given: {
    expected: Expected;
    replay: ReturnType<typeof loadReplay> | undefined;
    guardItems: Record<string, unknown>[];
    killSwitchOn: { from: number; to?: number }[];
    deadlineHit: boolean;
    chaos: boolean;
  },
) {
  const { sandbox, clock } = run;
  const executions = [...sandbox.executions.values()];
  for (const execution of executions) run.timeline.push(...executionTimeline(execution, (real) => clock.at(real)));
  run.timeline.sort((a, b) => a.at - b.at);
  const summaries = executions.map(summarise);
  const plainGameDay = !given.chaos && !given.replay && run.options.eventFile === undefined;
  const shortfalls = [
    ...shortfallsOf(given.expected, summaries),
    ...(plainGameDay ? unexpectedOutcomes(summaries, run.deliveries) : []),
  ];
  const failed = summaries.filter(
    (s) => s.kind === 'failed' && !(run.options.eventFile !== undefined && s.status === 'SUCCEEDED'),
  );
  const checks = given.replay
    ? checkReplay(given.replay, run.resultsByEvent, (name) => {
        const summary = summaries.find((s) => s.incident === name);
        if (!summary) return undefined;
        return {
          summary,
          ...(summary.actionType ? { actionType: summary.actionType } : {}),
          correlated: summary.correlatedChange !== undefined,
          steps: (summary.steps ?? []).map((step) => step.actionType ?? step.action),
        };
      })
    : [];
  const violations = checkInvariants({
    calls: sandbox.calls,
    executions,
    guardItems: given.guardItems,
    killSwitchOn: given.killSwitchOn,
    // Every mutating call reads the switch again, uncached: no grace after it is set.
    killSwitchCacheMs: 0,
    defaultCooldownSeconds: DEFAULT_COOLDOWN_SECONDS,
    deploymentGroupOf: (id) => {
      const deployment = run.fleet.deployments.get(id);
      return deployment ? `${deployment.applicationName}/${deployment.deploymentGroupName}` : undefined;
    },
  });
  // Known shapes (local/sim/invariants.ts KNOWN) are reported but do not fail the run until their issue lands.
  const known = violations.filter((v) => v.knownAs);
  const unexpected = violations.filter((v) => !v.knownAs);
  // A chaos run passes when no safety invariant breaks; a replay when every recorded event led to the
  // decision it expects (a failure may be one); a scenario run must also heal what it expects.
  // One event given: it must have been taken (not rejected), and its execution, if any, must not fail.
  const eventRejected =
    run.options.eventFile !== undefined && run.deliveries.some((d) => d.results.some((r) => r.status === 'rejected'));
  if (eventRejected) shortfalls.push('the event was rejected at ingest (see the INCIDENT line for why)');
  const ok =
    !given.deadlineHit &&
    unexpected.length === 0 &&
    (given.chaos ? true : given.replay ? checks.every((c) => c.ok) : failed.length === 0 && shortfalls.length === 0);
  return { summaries, shortfalls, failed, checks, unexpected, known, ok };
}

export async function runDrill(
  given: Options,
  print: (text: string) => void,
): Promise<{ exitCode: number; report: object }> {
  const chaos = given.chaos ? chaosPlan(given.seed) : undefined;
  const options: Options = chaos ? { ...given, scenarios: chaos.scenarios, faults: chaos.faults } : given;
  const chaosRandom = new Random(given.seed * 104729 + 3);
  const wallStart = realNow();
  // Read before anything starts, so a file that cannot be read leaves nothing running.
  const replay = options.replay ? loadReplay(options.replay) : undefined;
  const run = await startDrill(options, replay);
  const { clock, sandbox, simulation } = run;
  const replayQueue = (replay?.events ?? [])
    .map((event, index) => ({ event, index }))
    .sort((a, b) => a.event.at - b.event.at || a.index - b.index);
  listenToFleet(run);
  const { expected, incidents: expectedIncidents } = expectationsFor(options);
  const answerApprovals = onCall(
    run,
    chaos?.approvals.answer ?? replay?.approvals.answer ?? options.approvals,
    chaos?.approvals.afterMs ?? (replay?.approvals.afterSeconds ?? 60) * 1000,
  );
  const operator = chaos ? chaosOperator(run, chaos, chaosRandom) : undefined;

  let deadlineHit = false;
  let guardItems: Record<string, unknown>[] = [];
  // Stopped also when the drill itself fails (e.g. an approval answer that cannot get through),
  // so a failed drill never leaves its servers running.
  try {
    injectScenarios(run);
    deadlineHit = await runUntilQuiet(
      run,
      replayQueue,
      { answerApprovals, ...(operator ? { chaos: operator } : {}) },
      expectedIncidents,
    );
    await sandbox.settle();
    // Deliver what arrived while the last executions finished (e.g. alarms returning to OK).
    run.fleet.tick();
    for (let next = run.inbound.shift(); next; next = run.inbound.shift()) await deliver(run, next);
    await sandbox.settle();
    guardItems = await scanGuardTable();
  } finally {
    await simulation.finish();
  }

  const verdict = judgeDrill(run, {
    expected,
    replay,
    guardItems,
    killSwitchOn: operator?.killSwitchOn ?? [],
    deadlineHit,
    chaos: chaos !== undefined,
  });
  const { summaries, checks, unexpected, known, ok } = verdict;
  const mutating = sandbox.mutatingCalls();

  const report = {
    scenarios: options.scenarios,
    ...(options.eventFile ? { builtForEvent: run.builtForEvent } : {}),
    ...(replay ? { replay: { name: replay.name, file: options.replay, checks } } : {}),
    faults: options.faults ?? null,
    seed: options.seed,
    ...(chaos ? { chaos } : {}),
    invariants: { violations: unexpected, known },
    sandbox: sandbox.url,
    passed: ok,
    simulatedSeconds: Math.round((clock.now() - run.start) / 1000),
    mttr: mttrFigures(summaries),
    incidents: incidentReports(run, summaries, Number(loadTemplate().Globals.Function.MemorySize ?? 128)),
    deliveries: run.deliveries.map((d) => ({
      channel: d.channel,
      description: d.description,
      routedTo: d.routedTo,
      results: d.results.map((r) => ({
        status: r.status,
        executionName: r.executionName,
        reason: r.reason,
        ...(r.resumed ? { resumed: r.resumed } : {}),
      })),
      error: d.error,
    })),
    mutatingCalls: mutating.map((c) => ({ at: c.at, operation: c.operation, params: c.params })),
    callCount: sandbox.calls.length,
    injectedFaults: sandbox.calls.filter((c) => c.injected).length,
    notifications: sandbox.published.map((p) => ({ subject: p.subject, severity: p.attributes.severity })),
    /** Every call to the sandbox at its simulated time: the same seed gives the same log. */
    callLog: canonicalCallLog(sandbox.calls),
    wallMs: Math.round(realNow() - wallStart),
  };

  if (!options.json)
    printDrill(print, { ...verdict, given, run, report, replay, deadlineHit, mutatingCalls: mutating.length });
  return { exitCode: ok ? 0 : 1, report };
}

/** The terminal report: timeline, incident table, details, totals, replay checks and the verdict. */
function printDrill(
  print: (text: string) => void,
  r: {
    given: Options;
    run: DrillRun;
    summaries: Summary[];
    report: { injectedFaults: number; simulatedSeconds: number; wallMs: number };
    replay: ReturnType<typeof loadReplay> | undefined;
    checks: ReturnType<typeof checkReplay>;
    unexpected: ReturnType<typeof checkInvariants>;
    known: ReturnType<typeof checkInvariants>;
    ok: boolean;
    deadlineHit: boolean;
    failed: Summary[];
    shortfalls: string[];
    mutatingCalls: number;
  },
): void {
  const { run, summaries, replay, checks, ok, failed, shortfalls } = r;
  const { options, sandbox, start } = run;
  const counted = (kind: Summary['kind']) => summaries.filter((s) => s.kind === kind).length;
  const escalated = summaries.filter((s) => s.kind === 'remediated' && (s.steps?.length ?? 0) > 1).length;
  print(
    `Self-healing drill: ${options.eventFile ? `event ${options.eventFile}` : options.replay ? `replay ${options.replay}` : options.scenarios.join(', ')}\n`,
  );
  print(
    `Local AWS sandbox ${sandbox.url} on virtual time; seed ${options.seed}; faults: ${options.faults ?? 'none'}\n\n`,
  );
  for (const entry of run.timeline) print(`${clockLabel(entry.at, start)}  ${entry.kind.padEnd(8)}  ${entry.text}\n`);
  print('\n');
  print(
    `${table([
      ['Incident', 'Rule', 'Action', 'Outcome', 'Remediate', 'Recover', 'Metrics emitted'],
      ...summaries.map((s) => [
        s.incident.length > 44 ? `${s.incident.slice(0, 35)}…${s.incident.slice(-8)}` : s.incident,
        s.rule,
        s.action,
        `${s.outcome}${s.verified ? ' ✓' : s.kind === 'dry-run' ? ' (dry run)' : s.kind === 'shadow' ? ` (${s.shadow?.selfRecovered ? 'recovered by itself' : 'did not recover by itself'})` : ['guard-skip', 'skipped', 'not-approved', 'budget-exhausted', 'refused'].includes(s.kind) ? ` (${s.reason ?? '?'})` : ''}${(s.steps?.length ?? 0) > 1 ? ` after ${s.steps?.length ?? 0} steps` : ''}`,
        s.timeToRemediateSeconds !== undefined ? duration(s.timeToRemediateSeconds) : '-',
        s.timeToRecoverSeconds !== undefined ? duration(s.timeToRecoverSeconds) : '-',
        s.metrics.join(' '),
      ]),
    ])}\n\n`,
  );
  const details = summaries.flatMap((s) => [
    ...(s.correlatedChange ? [`${s.incident}: change-aware — ${s.correlatedChange}`] : []),
    ...((s.steps?.length ?? 0) > 1
      ? [
          `${s.incident}: escalation — ${(s.steps ?? []).map((step) => `${step.step}. ${step.action}: ${step.result}${step.timeToOkSeconds !== undefined ? ` (OK after ${duration(step.timeToOkSeconds)})` : ''}`).join('; ')}`,
        ]
      : []),
    ...(s.shadow
      ? [
          `${s.incident}: shadow — would ${s.shadow.wouldDo}; ${s.shadow.selfRecovered ? `recovered by itself${s.shadow.timeToSelfRecoverSeconds !== undefined ? ` after ${duration(s.shadow.timeToSelfRecoverSeconds)}` : ''}` : 'did not recover by itself'}`,
        ]
      : []),
  ]);
  if (details.length > 0) print(`${details.join('\n')}\n\n`);
  print(
    `${summaries.length} incidents: ${counted('remediated')} remediated and verified (${escalated} after climbing an escalation ladder), ${counted('guard-skip')} skipped by the guard, ${counted('budget-exhausted')} held back by the budget, ${counted('shadow')} shadow decisions, ${counted('refused')} refused, ${counted('dry-run')} dry run, ${counted('not-approved')} not approved, ${skippedText(summaries)}, ${counted('notified')} notified, ${failed.length} failed; inbound: ${ingestText(run.deliveries)}; ${r.mutatingCalls} mutating AWS calls, ${sandbox.calls.length} calls in all (${r.report.injectedFaults} faults injected); ${sandbox.published.length} notifications; ${r.report.simulatedSeconds} simulated seconds in ${(r.report.wallMs / 1000).toFixed(1)} s.\n`,
  );
  const mttr = mttrFigures(summaries);
  if (mttr.incidents > 0) {
    const pair = (f: { p50: number; p95: number }, unit: (n: number) => string) =>
      Number.isNaN(f.p50) ? '-' : `p50 ${unit(f.p50)} · p95 ${unit(f.p95)}`;
    const secondsText = (n: number) => `${n.toFixed(1)} s`;
    print(
      `MTTR over ${mttr.incidents} remediated incidents (simulated): ALARM → first change ${pair(mttr.firstChange, duration)}; ALARM → verified OK ${pair(mttr.verifiedOk, duration)}; platform lag, alarm OK → outcome recorded ${pair(mttr.platformLag, secondsText)}\n`,
    );
  }
  if (replay) {
    print(
      `Replay ${replay.name}: ${replay.description}\n${table([
        ['#', 'At', 'Event', 'Expected', 'Got', ''],
        ...checks.map((c) => [
          String(c.event),
          clockLabel(start + c.at * 1000, start),
          c.description,
          expectationText(c.expected),
          expectationText(c.actual),
          c.ok ? '✓' : `✗ ${c.problems.join('; ')}`,
        ]),
      ])}\n\n`,
    );
  }
  for (const v of r.unexpected) print(`INVARIANT ${v.invariant}: ${v.detail}\n`);
  for (const v of r.known) print(`known ${v.invariant} (${v.knownAs ?? ''}): ${v.detail}\n`);
  if (!ok) print(`Reproduce: ${reproduceCommand(r.given)}\n`);
  print(
    ok
      ? 'PASS\n'
      : `FAIL${r.deadlineHit ? ' (simulated deadline reached)' : ''}${failed.length ? ` (${failed.length} failed: ${failed.map((f) => f.incident).join(', ')})` : ''}${shortfalls.length ? ` (${shortfalls.join('; ')})` : ''}\n`,
  );
}

function shuffle<T>(items: T[], random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}

/** The operator flips the kill switch (the SSM parameter the guard reads). */
function setKillSwitch(sandbox: Sandbox, on: boolean): void {
  const name = process.env.PAUSE_PARAMETER_NAME ?? '';
  const current = sandbox.fleet.parameters.get(name);
  sandbox.fleet.parameters.set(name, {
    value: on ? 'true' : 'false',
    version: (current?.version ?? 0) + 1,
    updatedAt: sandbox.clock.now(),
  });
}

/** The guard table's items, read through the sandbox when the run ends. */
async function scanGuardTable(): Promise<Record<string, unknown>[]> {
  // The harness reads through the sandbox's faults too: it keeps trying, as the on-call does.
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 10 }));
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: process.env.GUARD_TABLE_NAME, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    start = page.LastEvaluatedKey;
  } while (start);
  client.destroy();
  return items;
}

/**
 * The sandbox's calls in a stable order: by turn of the simulation (one handler invocation, or one
 * step of the harness), and within a turn by their text. A turn's calls share one simulated
 * instant, and the order in which a handler's parallel calls reach the sandbox is the network's.
 */
export function canonicalCallLog(
  calls: CallRecord[],
): { at: string; operation: string; params: unknown; outcome: string }[] {
  const key = (c: CallRecord) => `${c.operation}|${stableJson(c.params)}|${c.outcome}`;
  return [...calls]
    .sort((a, b) => a.epoch - b.epoch || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
    .map((c) => ({ at: c.at, operation: c.operation, params: c.params, outcome: c.outcome }));
}

/** The command that replays this run exactly (same seed, same options). */
export function reproduceCommand(options: Options): string {
  if (options.chaos)
    return `npm start -- --chaos --seed ${options.seed}${options.bundles ? ` --bundles ${options.bundles}` : ''}`;
  const args = [
    ...options.scenarios.map((s) => `--scenario ${s}`),
    ...(options.faults ? [`--faults '${options.faults}'`] : []),
    ...(options.eventFile ? [`--event ${options.eventFile}`] : []),
    ...(options.replay ? [`--replay ${options.replay}`] : []),
    ...(options.approvals !== 'approve' ? [`--approvals ${options.approvals}`] : []),
    ...(options.dryRun ? ['--dry-run'] : []),
    ...(options.bundles ? [`--bundles ${options.bundles}`] : []),
    `--seed ${options.seed}`,
  ];
  return `npm start -- ${args.join(' ')}`;
}

function expectationText(e: Partial<Expectation>): string {
  return [
    e.ingest,
    e.outcome,
    e.reason ? `(${e.reason})` : '',
    e.action,
    e.correlated ? 'change-aware' : '',
    e.steps?.length ? `steps ${e.steps.join('→')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const print = captureHandlerOutput();
  try {
    const options = parseOptions(process.argv.slice(2));
    let port: number | undefined;
    if (options.warmUp) {
      // The handlers' SDK clients keep the endpoint of their first call: the drill that counts
      // listens where the warm-up did.
      const warm = await runDrill({ ...options, json: true }, () => undefined);
      port = Number(new URL((warm.report as { sandbox: string }).sandbox).port);
    }
    const { exitCode, report } = await runDrill({ ...options, ...(port ? { port } : {}) }, print);
    if (options.json) print(`${JSON.stringify(report, null, 2)}\n`);
    process.exitCode = exitCode;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}
