import type { EventLog } from '../workflow';
import { type Params, ProtocolError } from './protocols';
import { JSON_PAGES, page } from './services';

// The Step Functions reads an operator makes around the platform (the AWS CLI, the console's
// calls), answered from the sandbox's executions in the shapes the API documents.

export interface ExecutionView {
  name: string;
  executionArn: string;
  input: unknown;
  startedAt: number;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  stoppedAt?: number;
}

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];

export function listExecutions(executions: ExecutionView[], machineArn: string, params: Params): Params {
  const status = typeof params.statusFilter === 'string' ? params.statusFilter : undefined;
  if (status !== undefined && !STATUSES.includes(status))
    throw new ProtocolError('ValidationException', `Invalid statusFilter: ${status}`);
  const matching = executions
    .filter((e) => status === undefined || e.status === status)
    .sort((a, b) => b.startedAt - a.startedAt || b.name.localeCompare(a.name));
  const { items, nextToken } = page(matching, params, JSON_PAGES);
  return {
    executions: items.map((e) => ({
      executionArn: e.executionArn,
      stateMachineArn: machineArn,
      name: e.name,
      status: e.status,
      startDate: new Date(e.startedAt),
      ...(e.stoppedAt !== undefined ? { stopDate: new Date(e.stoppedAt) } : {}),
    })),
    ...(nextToken ? { nextToken } : {}),
  };
}

const json = (value: unknown) => JSON.stringify(value ?? null);
const causeOf = (cause: unknown) => (typeof cause === 'string' ? cause : json(cause));

/** One engine event as AWS's history event (without its id), or nothing for engine-only events. */
function historyEvent(event: EventLog, withData: boolean): Record<string, unknown> | undefined {
  const data = (key: string, value: unknown) => (withData ? { [key]: json(value) } : {});
  const stateType = event.state?.type ?? 'Task';
  switch (event.type) {
    case 'ExecutionStarted':
      return { type: 'ExecutionStarted', executionStartedEventDetails: { ...data('input', event.input) } };
    case 'ExecutionSucceeded':
      return { type: 'ExecutionSucceeded', executionSucceededEventDetails: { ...data('output', event.output) } };
    case 'ExecutionFailed':
      return {
        type: 'ExecutionFailed',
        executionFailedEventDetails: { error: event.Error, cause: causeOf(event.Cause) },
      };
    case 'StateEntered':
      return {
        type: `${stateType}StateEntered`,
        stateEnteredEventDetails: { name: event.state?.name, ...data('input', event.state?.input) },
      };
    case 'StateExited':
      return {
        type: `${stateType}StateExited`,
        stateExitedEventDetails: { name: event.state?.name, ...data('output', event.state?.output) },
      };
    case 'StateFailed':
    case 'StateRetried':
    case 'StateCaught':
      // What the state's task reported; the engine's retry and catch have no event of their own on AWS.
      return stateType === 'Task' && event.Error
        ? { type: 'TaskFailed', taskFailedEventDetails: { error: event.Error, cause: causeOf(event.Cause) } }
        : undefined;
    default:
      return undefined;
  }
}

export function executionHistory(events: EventLog[], params: Params): Params {
  const withData = params.includeExecutionData !== false && params.includeExecutionData !== 'false';
  const all = events
    .map((event) => ({ event, view: historyEvent(event, withData) }))
    .filter((e): e is { event: EventLog; view: Record<string, unknown> } => e.view !== undefined)
    .map(({ event, view }, index) => ({
      timestamp: new Date(event.timestamp),
      id: index + 1,
      previousEventId: index,
      ...view,
    }));
  const ordered = params.reverseOrder === true || params.reverseOrder === 'true' ? all.reverse() : all;
  const { items, nextToken } = page(ordered, params, JSON_PAGES);
  return { events: items, ...(nextToken ? { nextToken } : {}) };
}

export function describeStateMachine(machineArn: string, definition: string, createdAt: number): Params {
  return {
    stateMachineArn: machineArn,
    name: machineArn.split(':').pop(),
    status: 'ACTIVE',
    definition,
    roleArn: `${machineArn.split(':states:')[0]}:iam::${machineArn.split(':')[4]}:role/RemediationStateMachineRole`,
    type: 'STANDARD',
    creationDate: new Date(createdAt),
    loggingConfiguration: { level: 'ALL', includeExecutionData: true },
    tracingConfiguration: { enabled: true },
  };
}
