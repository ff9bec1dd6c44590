import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import { INTEGRATIONS } from './integrations';
import { invokeLocally, lambdaContext } from './lambda-context';
import { loadTemplate, resolveIntrinsics } from './template';
import { simulationRandom } from './sim/random';
import type { VirtualClock } from './sim/virtual-clock';

export type LambdaHandler = (event: never, context: Context) => Promise<unknown>;
// The library does not export its event type; this is the part we read.
export interface EventLog {
  type: string;
  timestamp: number;
  state?: { name: string; type?: string; input?: unknown; output?: unknown };
  input?: unknown;
  output?: unknown;
  retry?: { attempt: number; retrier?: { ErrorEquals: string[] } };
  Error?: string;
  Cause?: unknown;
}
type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

export const ASL_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'statemachines', 'remediation.asl.json');

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: { FunctionName?: string };
  Seconds?: number;
  SecondsPath?: string;
  Next?: string;
  Comment?: string;
  ResultPath?: null;
  Retry?: Retrier[];
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  MaxConcurrency?: number;
  MaxConcurrencyPath?: string;
  ItemProcessor?: { States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
}

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

/**
 * How long Step Functions waits before retrying a Task that failed with `error`, or undefined when
 * no retrier takes it (or the one that does has no attempts left). Counts the attempt in `attempts`
 * (one counter per retrier, for one entry into the state). As the States Language specifies and
 * aws-local-stepfunctions implements (its own wait is set to 0 under virtual time, where this
 * wait is slept on the virtual clock instead); `random` draws the FULL jitter.
 */
export function retryWaitMs(
  retriers: Retrier[],
  attempts: number[],
  error: { name?: string },
  random: () => number,
): number | undefined {
  for (const [index, retrier] of retriers.entries()) {
    const matches = retrier.ErrorEquals.some(
      (name) =>
        name === error.name ||
        name === 'States.ALL' ||
        (name === 'States.TaskFailed' && error.name !== 'States.Timeout'),
    );
    if (!matches) continue;
    const made = attempts[index] ?? 0;
    if (made >= (retrier.MaxAttempts ?? 3)) return undefined;
    attempts[index] = made + 1;
    const interval = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** made;
    const capped = Math.min(interval, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY) * 1000;
    return retrier.JitterStrategy === 'FULL' ? random() * capped : capped;
  }
  return undefined;
}

/** A `$.a.b` reference path's value (what Wait states' SecondsPath use). */
function atPath(input: unknown, path: string): unknown {
  return path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | null)?.[key], input);
}

/** Every state, those of Map states' item processors included (the library binds local tasks by state name at any depth). */
function everyState(states: Record<string, AslState>): [string, AslState][] {
  return Object.entries(states).flatMap(([name, state]) => {
    const inner = state.ItemProcessor ?? state.Iterator;
    return [[name, state] as [string, AslState], ...(inner ? everyState(inner.States) : [])];
  });
}

const LOCAL_WAIT_RESOURCE = 'arn:aws:lambda:us-east-1:123456789012:function:LocalSimulatedWait';

/**
 * The execution a Task input belongs to (the library passes local handlers only their input): its
 * name where the input carries it (Plan, Guard, the recording steps, the waits; every step after
 * the guard carries the lock's owner, which is the execution), else the incident's id.
 */
function executionNameOf(input: unknown): string {
  type Named = { guard?: { owner?: string }; incident?: { id?: string } };
  const value = input as (Named & { execution?: { name?: string } | string; state?: Named }) | null;
  if (typeof value?.execution === 'string') return value.execution;
  return (
    value?.execution?.name ??
    value?.guard?.owner ??
    value?.state?.guard?.owner ??
    value?.incident?.id ??
    value?.state?.incident?.id ??
    ''
  );
}

/** Answers a `.waitForTaskToken` task: resolves with the task's output, or rejects with a named error. */
export type TaskTokenResponder = (token: string, payload: unknown) => Promise<unknown>;

const WAIT_FOR_TASK_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
interface AslDefinition {
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, AslState>;
}

/** The `${Name}` placeholders the ASL uses (each must be in the template's DefinitionSubstitutions). */
export function aslPlaceholders(text = readFileSync(ASL_PATH, 'utf8')): string[] {
  return [...new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1] as string))].sort();
}

/** Does what SAM's DefinitionSubstitutions does, with local function ARNs. */
export function substitutedDefinition(): AslDefinition {
  const template = loadTemplate();
  const substitutions = (template.Resources.RemediationStateMachine?.Properties?.DefinitionSubstitutions ??
    {}) as Record<string, unknown>;
  const text = readFileSync(ASL_PATH, 'utf8').replace(/\$\{(\w+)\}/g, (_m, name: string) => {
    if (!(name in substitutions)) throw new Error(`\${${name}} is not in the template's DefinitionSubstitutions`);
    return String(resolveIntrinsics(substitutions[name], template, {}));
  });
  return JSON.parse(text) as AslDefinition;
}

/**
 * Runs a handler the way the Lambda service does for a Task whose Resource is a function ARN:
 * the state's effective input as the event (JSON round-tripped), the JSON result as the
 * output, and a thrown error's `name` as the Error that Retry/Catch match on.
 */
export async function invokeLikeLambda(
  handler: LambdaHandler,
  functionName: string,
  input: unknown,
): Promise<JSONValue> {
  const event = JSON.parse(JSON.stringify(input ?? null)) as never;
  const result = await invokeLocally(handler, event, lambdaContext(functionName));
  return JSON.parse(JSON.stringify(result ?? null)) as JSONValue;
}

export interface WorkflowRun {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: { Error: string; Cause: unknown };
  /** State names in the order they were entered. */
  states: string[];
  retries: { state: string; attempt: number }[];
  events: EventLog[];
  /** Each Lambda invocation a Task made, with its real duration (what Lambda would bill). */
  invocations: { state: string; ms: number }[];
}

export interface WorkflowOptions {
  /** Lambda timeouts to inject: the function's timeout in seconds when this invocation times out. */
  timesOut?: (functionLogicalId: string, invocationKey: string) => number | undefined;
  /**
   * Answers the Await states (a `.waitForTaskToken` with a TimeoutSecondsPath): resolves when an
   * event resumes the token, rejects with States.Timeout after the payload's `timeoutSeconds`.
   * Without it (no events in this run) each Await lasts its timeout (on the virtual clock, or
   * scaled, or not at all, as the run's Wait states) and its function is not invoked.
   */
  awaitEvent?: TaskTokenResponder;
}

export interface RunOptions {
  executionName: string;
  /** Real milliseconds each Wait state lasts (by state name; others: 0). */
  waitMs?: Record<string, number>;
  /** Real milliseconds before each Retry (instead of IntervalSeconds × backoff). */
  retryMs?: number;
  startTime?: Date;
}

/**
 * The real remediation.asl.json, run in-process by aws-local-stepfunctions with each Task bound
 * to the real handler named by its `${XFunctionArn}` placeholder.
 */
export class LocalWorkflow {
  private readonly definition = substitutedDefinition();
  private readonly machine: StateMachine;
  private readonly bindings: Record<string, (input: JSONValue) => Promise<JSONValue>> = {};
  // Per execution name; invocations of concurrent executions interleave on the event loop.
  private readonly invocations = new Map<string, { state: string; ms: number }[]>();
  /** The history so far of each running execution (GetExecutionHistory reads it). */
  readonly liveEvents = new Map<string, EventLog[]>();
  /** Under virtual time: the state machine's TimeoutSeconds, enforced on the virtual clock. */
  private executionTimeoutSeconds: number | undefined;

  /**
   * @param simulatedWaitMs when given, each Wait state lasts this many real ms for its seconds
   *   (Seconds or SecondsPath, as on AWS): aws-local-stepfunctions can only override a Wait state
   *   with one fixed time, and the loops' waits vary. The state is run as a local task that sleeps;
   *   it is still one state (one transition) with the same name, input and output.
   */
  constructor(
    handlers: Record<string, LambdaHandler>,
    private readonly answerTaskToken?: TaskTokenResponder,
    simulatedWaitMs?: (seconds: number) => number,
    /** Virtual time: each Task invocation takes its turn, Wait states and retries sleep virtual seconds. */
    private readonly scheduler?: VirtualClock,
    private readonly options: WorkflowOptions = {},
  ) {
    if (simulatedWaitMs || scheduler) {
      for (const [stateName, state] of Object.entries(this.definition.States)) {
        if (state.Type !== 'Wait') continue;
        const seconds = (input: unknown) => Number(state.Seconds ?? atPath(input, state.SecondsPath ?? '')) || 0;
        this.definition.States[stateName] = {
          Type: 'Task',
          Resource: LOCAL_WAIT_RESOURCE,
          ResultPath: null,
          ...(state.Next ? { Next: state.Next } : {}),
        };
        this.bindings[stateName] = async (input) => {
          if (scheduler) await scheduler.sleep(seconds(input) * 1000, `${executionNameOf(input)}|${stateName}`);
          else await new Promise((resolve) => setTimeout(resolve, simulatedWaitMs?.(seconds(input)) ?? 0));
          return null;
        };
      }
    }
    if (scheduler) {
      // The library times executions and Tasks out with real timers, which under virtual time never
      // fire in time (and keep the process alive for hours): the execution's timeout is kept on the
      // virtual clock instead (run); a Lambda Task ends by its function's timeout (a fault), and an
      // approval's hour is the sandbox's virtual timer.
      this.executionTimeoutSeconds = this.definition.TimeoutSeconds;
      delete this.definition.TimeoutSeconds;
      for (const [, state] of everyState(this.definition.States)) {
        delete state.TimeoutSeconds;
        // An execution is one process of the virtual clock: a Map's iterations, run at once, would
        // each wait and wake as that one process. One at a time here (each writes its own guard
        // item, so their order changes nothing AWS could show); AWS runs them concurrently.
        if (state.Type !== 'Map') continue;
        state.MaxConcurrency = 1;
        delete state.MaxConcurrencyPath;
      }
    }
    this.machine = new StateMachine(this.definition as never, { validationOptions: { checkPaths: true } });
    // The library resolves TimeoutSecondsPath against Parameters (AWS: against the state input):
    // an Await's timeout is kept here instead, from its Payload's timeoutSeconds (same path, tested).
    const awaits = new Set<string>();
    for (const [stateName, state] of Object.entries(this.definition.States)) {
      if (state.TimeoutSecondsPath === undefined) continue;
      awaits.add(stateName);
      delete state.TimeoutSecondsPath;
    }
    for (const [stateName, state] of everyState(this.definition.States)) {
      if (state.Type !== 'Task' || state.Resource === LOCAL_WAIT_RESOURCE) continue;
      const waits = state.Resource === WAIT_FOR_TASK_TOKEN;
      const integration = state.Resource ? INTEGRATIONS[state.Resource] : undefined;
      const functionName = (waits ? state.Parameters?.FunctionName : state.Resource)?.split(':function:')[1];
      const handler = functionName ? handlers[functionName] : undefined;
      const lambda = functionName && handler ? { functionName, handler } : undefined;
      if (!integration && !lambda) throw new Error(`No local handler for Task "${stateName}" (${state.Resource})`);
      const invoke = async (execution: string, input: unknown): Promise<JSONValue> => {
        // Under virtual time one invocation runs at a time, in a stable order.
        if (scheduler) await scheduler.turn(`${execution}|${stateName}`);
        // A service integration is no Lambda invocation: nothing to time out or bill.
        if (!lambda) return integration?.(JSON.parse(JSON.stringify(input ?? null)) as JSONValue) ?? null;
        const made = this.invocations.get(execution) ?? [];
        const occurrence = made.filter((i) => i.state === stateName).length;
        const started = performance.now();
        try {
          const output = await invokeLikeLambda(lambda.handler, lambda.functionName, input);
          const timeoutSeconds = options.timesOut?.(lambda.functionName, `${execution}|${stateName}|${occurrence}`);
          if (timeoutSeconds !== undefined) {
            // Killed at its deadline: what it did went through, its answer is lost.
            if (scheduler) await scheduler.sleep(timeoutSeconds * 1000, `${execution}|${stateName}`);
            throw Object.assign(new Error(`Task timed out after ${timeoutSeconds.toFixed(2)} seconds`), {
              name: 'Sandbox.Timedout',
            });
          }
          return output;
        } finally {
          made.push({ state: stateName, ms: performance.now() - started });
        }
      };
      // Under virtual time a Retry's interval passes on the virtual clock (the library's is 0).
      const attemptsByExecution = new Map<string, number[]>();
      const timed = !scheduler
        ? invoke
        : async (execution: string, input: unknown): Promise<JSONValue> => {
            try {
              const output = await invoke(execution, input);
              attemptsByExecution.delete(execution);
              return output;
            } catch (error) {
              const attempts = attemptsByExecution.get(execution) ?? [];
              attemptsByExecution.set(execution, attempts);
              const wait = retryWaitMs(state.Retry ?? [], attempts, error as Error, () => simulationRandom().float());
              if (wait === undefined) attemptsByExecution.delete(execution);
              else await scheduler.sleep(wait, `${execution}|${stateName}`);
              throw error;
            }
          };
      const entries = new Map<string, number>();
      this.bindings[stateName] = awaits.has(stateName)
        ? async (input) => {
            const payload = {
              ...((input as { Payload?: { taskToken?: string; timeoutSeconds?: number } }).Payload ?? {}),
            };
            const execution = executionNameOf(payload);
            if (!options.awaitEvent) {
              // Nothing delivers events in this run: the wait lasts its timeout, as the Wait state it replaced did.
              const seconds = Number(payload.timeoutSeconds) || 0;
              if (scheduler) await scheduler.sleep(seconds * 1000, `${execution}|${stateName}`);
              else await new Promise((resolve) => setTimeout(resolve, simulatedWaitMs?.(seconds) ?? 0));
              throw Object.assign(new Error(`No event within ${seconds} s`), { name: 'States.Timeout' });
            }
            // On AWS every entry into a task gets its own token: a late answer to an earlier wait is refused.
            const entry = (entries.get(execution) ?? 0) + 1;
            entries.set(execution, entry);
            payload.taskToken = `${payload.taskToken ?? execution}:${stateName}:${entry}`;
            await timed(execution, payload);
            const answer = options.awaitEvent(payload.taskToken, payload);
            return JSON.parse(
              JSON.stringify((await (scheduler ? scheduler.waitFor(answer) : answer)) ?? null),
            ) as JSONValue;
          }
        : waits
          ? // As Step Functions does: invoke with the Payload, then wait for the token's answer.
            async (input) => {
              const payload = (input as { Payload?: { taskToken?: string } }).Payload ?? {};
              await timed(executionNameOf(payload), payload);
              if (!this.answerTaskToken)
                throw Object.assign(new Error(`Nobody answers task tokens in this run (${stateName})`), {
                  name: 'States.TaskFailed',
                });
              const answer = this.answerTaskToken(payload.taskToken ?? '', payload);
              return JSON.parse(
                JSON.stringify((await (scheduler ? scheduler.waitFor(answer) : answer)) ?? null),
              ) as JSONValue;
            }
          : (input) => timed(executionNameOf(input), input);
    }
  }

  get stateNames(): string[] {
    return Object.keys(this.definition.States);
  }

  async run(input: unknown, options: RunOptions): Promise<WorkflowRun> {
    const overrides = {
      taskResourceLocalHandlers: this.bindings,
      waitTimeOverrides: Object.fromEntries(
        Object.entries(this.definition.States)
          .filter(([, s]) => s.Type === 'Wait')
          .map(([n]) => [n, options.waitMs?.[n] ?? 0]),
      ),
      retryIntervalOverrides: Object.fromEntries(Object.keys(this.bindings).map((n) => [n, options.retryMs ?? 0])),
    };
    const startTime = (options.startTime ?? new Date()).toISOString();
    // Under virtual time the execution is a process: running, except while it sleeps or waits.
    // Counted before the engine starts it, which runs the first state up to its first wait at once.
    this.scheduler?.enter();
    const execution = this.machine.run(input as JSONValue, {
      overrides,
      context: {
        Execution: {
          Id: `arn:aws:states:us-east-1:123456789012:execution:RemediationStateMachine:${options.executionName}`,
          Name: options.executionName,
          StartTime: startTime,
          Input: input as JSONValue,
        },
        Task: { Token: `${options.executionName}:task-token` },
      },
    });
    let timedOut = false;
    const cancelTimeout =
      this.scheduler && this.executionTimeoutSeconds
        ? this.scheduler.timer(this.executionTimeoutSeconds * 1000, `${options.executionName}|timeout`, () => {
            timedOut = true;
            execution.abort();
          })
        : undefined;
    const events: EventLog[] = [];
    const invocations: WorkflowRun['invocations'] = [];
    this.invocations.set(options.executionName, invocations);
    this.liveEvents.set(options.executionName, events);
    const collecting = (async () => {
      for await (const event of execution.eventLogs) events.push(event);
    })();
    let result: WorkflowRun;
    try {
      const output = await execution.result;
      await collecting;
      result = { status: 'SUCCEEDED', output, states: [], retries: [], events, invocations };
    } catch (error) {
      await collecting;
      const failed = events.find((e) => e.type === 'ExecutionFailed');
      const name = timedOut ? 'States.Timeout' : (failed?.Error ?? (error instanceof Error ? error.name : 'Unknown'));
      const cause = timedOut
        ? `The execution ran longer than ${this.executionTimeoutSeconds} s`
        : (failed?.Cause ?? String(error));
      result = { status: 'FAILED', error: { Error: name, Cause: cause }, states: [], retries: [], events, invocations };
    }
    cancelTimeout?.();
    this.invocations.delete(options.executionName);
    this.liveEvents.delete(options.executionName);
    // Timed out, the execution was not running (it slept or waited); the timer's process ends it.
    if (!timedOut) this.scheduler?.leave();
    for (const event of events) {
      if (event.type === 'StateEntered' && event.state) result.states.push(event.state.name);
      if (event.type === 'StateRetried' && event.state)
        result.retries.push({ state: event.state.name, attempt: event.retry?.attempt ?? 0 });
    }
    return result;
  }
}
