import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { useSimulatedClock } from '../../functions/platform/clock';
import { VirtualClock, realNow } from '../sim/virtual-clock';
import { type LambdaHandler, type LocalWorkflow, type WorkflowRun } from '../workflow';
import {
  CreateTableCommand,
  DynamoDBClient,
  type KeySchemaElement,
  type AttributeDefinition,
} from '@aws-sdk/client-dynamodb';
import { Worker } from 'node:worker_threads';
import {
  type Template,
  functionEnvironment,
  functionsOf,
  loadTemplate,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  resolveIntrinsics,
  stateMachineArn,
} from '../template';
import { type Fault, FaultInjector, parseFaults } from './faults';
import { type Clock, Fleet, ScaledClock } from './fleet';
import {
  type HttpReply,
  type Params,
  type ParsedRequest,
  ProtocolError,
  errorReply,
  parseRequest,
  successReply,
} from './protocols';
import { OPERATIONS, type Published, type QueuedMessage, type ServiceContext } from './services';
import { type ExecutionView, describeStateMachine, executionHistory, listExecutions } from './step-functions';

/** Calls that change AWS resources; a dry run must make none of them. */
export const MUTATING_OPERATIONS = new Set([
  'AutoScaling.SetDesiredCapacity',
  'AutoScaling.SetInstanceHealth',
  'CodeDeploy.CreateDeployment',
  'CodeDeploy.StopDeployment',
  'SSM.StartAutomationExecution',
]);

export interface CallRecord {
  seq: number;
  at: string;
  /** Real time (Date.now()) the call arrived: the benchmark's reaction time reads it. */
  wallMs: number;
  operation: string;
  params: Params;
  status: number;
  outcome: string;
  injected: boolean;
  mutating: boolean;
  /** Under virtual time: which turn of the simulation made the call. */
  epoch: number;
  /** Under virtual time: whose turn it was (`<execution>|<state>`, or the harness). */
  actor: string;
  /** For a mutating call: what it acted on, as it was just before (the invariants read it). */
  before?: CallBefore;
  /** The call changed something: a mutating call answered ok, or made and then answered 5xx. */
  applied: boolean;
}

/** The world a mutating call met, read from the fleet at the call's instant (local/sim/invariants.ts). */
export interface CallBefore {
  /** SetDesiredCapacity: the group's size just before. */
  desired?: number;
  minSize?: number;
  maxSize?: number;
  /** SetDesiredCapacity: every value the group's desired capacity took so far, and when (ms). */
  desiredHistory?: { at: number; desired: number }[];
  /** The Auto Scaling group of each instance the call names (instances in no group are left out). */
  instanceGroups?: Record<string, string>;
  /** Each instance the call names: its EC2 state just before. */
  instanceStates?: Record<string, string>;
  /** Each group the call touches: its healthy InService instances (as Auto Scaling reports them). */
  healthyInService?: Record<string, number>;
  /** CodeDeploy calls: the deployment group's newest (latest attempted) deployment. */
  newestDeployment?: { id: string; status: string; creator: string; description?: string };
  /** A call made for an incident that has an alarm (its input's alarm.name): that alarm in the fleet now. */
  alarm?: {
    name: string;
    state: string;
    /** When it last changed state (ms). */
    updatedAt: number;
    namespace: string;
    dimensions: Record<string, string>;
    tags: Record<string, string>;
  };
}

const STEP_FUNCTIONS_OPERATIONS = [
  'StepFunctions.StartExecution',
  'StepFunctions.DescribeExecution',
  'StepFunctions.ListExecutions',
  'StepFunctions.GetExecutionHistory',
  'StepFunctions.DescribeStateMachine',
  'StepFunctions.ListStateMachines',
  'StepFunctions.SendTaskSuccess',
  'StepFunctions.SendTaskFailure',
] as const;

/** What the sandbox answers itself (DynamoDB goes to a local DynamoDB implementation as it is). */
export const SERVED_OPERATIONS: string[] = [...STEP_FUNCTIONS_OPERATIONS, ...Object.keys(OPERATIONS)];

export interface ExecutionRecord extends ExecutionView {
  run?: WorkflowRun;
  done: Promise<void>;
}

export interface SandboxOptions {
  fleet?: Fleet;
  /** Simulated milliseconds per real millisecond (default 1000: a simulated minute in 60 ms). */
  speed?: number;
  faults?: string;
  seed?: number;
  /** Template parameter values for the functions' environment (DryRun defaults to "false" here). */
  parameters?: Record<string, string>;
  /** Where to listen: 127.0.0.1 and a free port unless told otherwise. */
  host?: string;
  port?: number;
  /** Run the built bundles in this folder (.aws-sam/build) instead of the TypeScript source. */
  bundles?: string;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const stringParam = (params: Params, name: string): string => (typeof params[name] === 'string' ? params[name] : '');

/** What AWS answers for each injected fault. */
const FAULT_REPLIES: Record<Fault['kind'], (protocol: string) => { code: string; status: number; message: string }> = {
  throttle: (protocol) => ({
    code: protocol === 'query' ? 'Throttling' : 'ThrottlingException',
    status: 400,
    message: 'Rate exceeded',
  }),
  '5xx': () => ({ code: 'InternalFailure', status: 500, message: 'An internal error occurred (injected)' }),
  busy: () => ({
    code: 'ScalingActivityInProgress',
    status: 400,
    message: 'Scaling activity is in progress and blocks this action (injected)',
  }),
  after: () => ({
    code: 'InternalFailure',
    status: 500,
    message: 'The change was made, but its answer was lost (injected)',
  }),
};

/** JSON with object keys in order: one text per value. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A local AWS on 127.0.0.1: the operations the handlers use, over the real wire protocols,
 * answered from a simulated fleet; Step Functions runs the real remediation.asl.json in-process
 * with each Task bound to the real handler code. Handlers reach it through AWS_ENDPOINT_URL.
 */
export class Sandbox {
  readonly calls: CallRecord[] = [];
  readonly published: Published[] = [];
  /** Delivers a published message to the topic's subscribers (set by npm run sandbox). */
  onPublished?: (message: Published) => void;
  readonly queued: QueuedMessage[] = [];
  /** The template's topics (ARNs) and queues (names): the only ones that exist here. */
  readonly topics = new Set<string>();
  readonly queues = new Set<string>();
  private startedAt = 0;
  readonly executions = new Map<string, ExecutionRecord>();
  /** Tasks waiting for send-task-success / send-task-failure (approvals). */
  readonly pendingTasks = new Map<
    string,
    { payload: unknown; since: number; resolve: (output: unknown) => void; reject: (error: Error) => void }
  >();
  readonly faults: FaultInjector;
  /** The fleet's clock when it is virtual: executions then run as its processes. */
  readonly scheduler: VirtualClock | undefined;
  private workflow?: LocalWorkflow;
  /** The functions' handlers this sandbox runs (the source, or the built bundles). */
  handlers: Record<string, LambdaHandler> = {};
  private server?: Server;
  private dynamo?: Worker;
  private dynamoUrl = '';
  private readonly dynamoAgent = new Agent({ keepAlive: true });
  url = '';

  private constructor(
    readonly fleet: Fleet,
    readonly clock: Clock,
    readonly speed: number,
    options: SandboxOptions,
  ) {
    this.faults = new FaultInjector(parseFaults(options.faults), options.seed);
    this.scheduler = clock instanceof VirtualClock ? clock : undefined;
  }

  static async start(options: SandboxOptions = {}): Promise<Sandbox> {
    const speed = options.speed ?? 1000;
    const fleet = options.fleet ?? new Fleet(new ScaledClock(Date.now(), speed));
    const sandbox = new Sandbox(fleet, fleet.clock, speed, options);
    await sandbox.listen(options.host ?? '127.0.0.1', options.port ?? 0);
    sandbox.startedAt = sandbox.clock.now();
    const template = loadTemplate();
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type === 'AWS::SNS::Topic')
        sandbox.topics.add(`arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${logicalId}`);
      if (resource.Type === 'AWS::SQS::Queue') sandbox.queues.add(logicalId);
    }
    await sandbox.startDynamoDb(template);
    sandbox.seedParameters(template, options.parameters ?? {});
    sandbox.configureProcess(options.parameters ?? {});
    // Imported only now, so every handler module builds its clients against this endpoint.
    const [{ LocalWorkflow }, { loadHandlers }] = await Promise.all([import('../workflow'), import('../handlers')]);
    sandbox.handlers = await loadHandlers(options.bundles);
    // Wait states last their seconds of simulated time.
    const timeouts = Object.fromEntries(
      functionsOf(template).map(([id, r]) => [
        id,
        Number(r.Properties?.Timeout ?? template.Globals.Function.Timeout ?? 3),
      ]),
    );
    sandbox.workflow = new LocalWorkflow(
      sandbox.handlers,
      (token, payload) => sandbox.waitForTask(token, payload),
      (seconds) => (seconds * 1000) / speed,
      sandbox.scheduler,
      {
        timesOut: (functionId, key) =>
          sandbox.faults.timesOut(functionId, sandbox.scheduler ? key : undefined) ? timeouts[functionId] : undefined,
        awaitEvent: (token, payload) => sandbox.waitForTask(token, payload),
      },
    );
    return sandbox;
  }

  private listen(host: string, port: number): Promise<void> {
    this.server = createServer((req, res) => void this.serve(req, res));
    return new Promise((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, host, () => {
        const address = this.server?.address() as AddressInfo;
        this.url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
        resolve();
      });
    });
  }

  /**
   * DynamoDB is a real implementation (dynalite, in memory, on a worker thread) behind the
   * sandbox: requests are proxied to it, so they are logged and can be faulted like the rest.
   * Tables come from the template.
   */
  private async startDynamoDb(template: Template): Promise<void> {
    const worker = new Worker(new URL('./dynamodb-worker.mjs', import.meta.url));
    this.dynamo = worker;
    const port = await new Promise<number>((resolve, reject) => {
      worker.once('message', (message: { port: number }) => resolve(message.port));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the DynamoDB worker exited (${code}) before listening`)));
    });
    // From here a failure of the worker is nobody's promise: left unhandled, it stops the process loudly.
    worker.removeAllListeners('error').removeAllListeners('exit');
    this.dynamoUrl = `http://127.0.0.1:${port}`;
    const client = new DynamoDBClient({
      endpoint: this.dynamoUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    });
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::DynamoDB::Table') continue;
      const props = resource.Properties ?? {};
      await client.send(
        new CreateTableCommand({
          TableName: logicalId,
          KeySchema: props.KeySchema as KeySchemaElement[],
          AttributeDefinitions: props.AttributeDefinitions as AttributeDefinition[],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    }
    client.destroy();
  }

  /** SSM parameters (the kill switch starts off) and Automation runbooks the template creates. */
  private seedParameters(template: Template, parameters: Record<string, string>): void {
    for (const resource of Object.values(template.Resources)) {
      if (resource.Type !== 'AWS::SSM::Parameter' && resource.Type !== 'AWS::SSM::Document') continue;
      const name = String(resolveIntrinsics(resource.Properties?.Name, template, parameters));
      if (resource.Type === 'AWS::SSM::Document') this.fleet.documents.add(name);
      else
        this.fleet.parameters.set(name, {
          value: String(resource.Properties?.Value),
          version: 1,
          updatedAt: this.clock.now(),
        });
    }
  }

  /** Points this process's SDK clients and handlers at the sandbox, with every function's environment. */
  private configureProcess(parameters: Record<string, string>): void {
    const template = loadTemplate();
    const params = { DryRun: 'false', Environment: 'local', ...parameters };
    const logLevel = process.env.POWERTOOLS_LOG_LEVEL;
    for (const [logicalId] of functionsOf(template))
      Object.assign(process.env, functionEnvironment(template, logicalId, params, this.url));
    // The caller's log level wins over the template's INFO (tests run SILENT; the drill, WARN).
    process.env.POWERTOOLS_LOG_LEVEL = logLevel ?? 'WARN';
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: this.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'sandbox',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      POWERTOOLS_TRACE_ENABLED: 'false',
      // No X-Ray here, so no automatic mode either: its async hooks (cls-hooked) would run on
      // every promise in this one process, the engine's and the simulated AWS services' too.
      // Set before the handlers import the X-Ray SDK (it reads this once, at import).
      AWS_XRAY_MANUAL_MODE: '1',
    });
    useSimulatedClock(() => new Date(this.clock.now()));
  }

  /** `abandonRunning`: stop now (Ctrl-C), without waiting for running executions to end. */
  async stop(options: { abandonRunning?: boolean } = {}): Promise<void> {
    // Under virtual time, executions still waiting when the simulation stops never wake: not awaited.
    if (!this.scheduler && !options.abandonRunning)
      await Promise.allSettled([...this.executions.values()].map((e) => e.done));
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    // Abandoned executions may have a request in flight: it is cut, not awaited.
    if (!options.abandonRunning) await closed;
    this.dynamoAgent.destroy();
    await this.dynamo?.terminate();
    useSimulatedClock(undefined);
  }

  /** A task token waits for its answer through the Step Functions API, or times out on the simulated clock. */
  private waitForTask(token: string, payload: unknown): Promise<unknown> {
    // An Await state's timeout travels in its Payload; an approval's is its plan's (the ASL's 3,600 s).
    const task = payload as { timeoutSeconds?: number; state?: { plan?: { approval?: { timeoutSeconds?: number } } } };
    const timeoutSeconds = task.timeoutSeconds ?? task.state?.plan?.approval?.timeoutSeconds ?? 3600;
    return new Promise((resolve, reject) => {
      const timeout = () => {
        this.pendingTasks.delete(token);
        reject(Object.assign(new Error(`No answer within ${timeoutSeconds} s`), { name: 'States.Timeout' }));
      };
      const scheduler = this.scheduler;
      let cancel: () => void;
      if (scheduler) cancel = scheduler.timer(timeoutSeconds * 1000, `task-timeout|${token}`, timeout);
      else {
        const timer = setTimeout(timeout, (timeoutSeconds * 1000) / this.speed);
        cancel = () => clearTimeout(timer);
      }
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T) => {
          cancel();
          this.pendingTasks.delete(token);
          fn(value);
        };
      this.pendingTasks.set(token, {
        payload,
        since: this.clock.now(),
        resolve: settle(resolve),
        reject: settle(reject),
      });
    });
  }

  /** Settles once every execution started so far (and any they lead to) has finished. */
  async settle(): Promise<void> {
    let pending = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
    while (pending.length > 0) {
      const done = Promise.allSettled(pending.map((e) => e.done));
      // Under virtual time the caller is a process: it waits without running, so time can pass.
      await (this.scheduler ? this.scheduler.waitFor(done) : done);
      pending = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
    }
  }

  mutatingCalls(): CallRecord[] {
    return this.calls.filter((c) => c.mutating && c.outcome === 'ok');
  }

  /** How often each request (turn, operation, parameters) has been seen: retries of one request are told apart. */
  private readonly occurrences = new Map<string, number>();

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const reply = await this.answer(req, body);
    // The HTTP Date is the clock the clients read: on virtual time, the virtual one. A real Date
    // looks to the SDK like a skewed client clock; it then corrects its offset and retries the call
    // once, whatever the error, and how often it does so depended on machine load.
    const date = this.scheduler ? { date: new Date(this.clock.now()).toUTCString() } : {};
    res.writeHead(reply.status, { ...reply.headers, ...date, 'content-length': Buffer.byteLength(reply.body) });
    res.end(reply.body);
  }

  private async answer(req: IncomingMessage, body: string): Promise<HttpReply> {
    let request: ParsedRequest;
    try {
      request = parseRequest(req.headers, body);
    } catch (error) {
      const protocol = typeof req.headers['x-amz-target'] === 'string' ? 'json' : 'query';
      const e = error instanceof ProtocolError ? error : new ProtocolError('InternalFailure', String(error), 500);
      return errorReply({ protocol, queryCompatible: false }, e.code, e.message, e.status);
    }
    const operation = `${request.service}.${request.operation}`;
    const arrivedAt = realNow();
    const epoch = this.scheduler?.epoch ?? 0;
    const actor = this.scheduler?.actor ?? '';
    const mutating = MUTATING_OPERATIONS.has(operation);
    const before = mutating ? this.snapshotBefore(operation, request.params, actor) : undefined;
    const log = (status: number, outcome: string, injected: boolean, madeAnyway = false) =>
      this.calls.push({
        // A lost reply (fault `after`) made the call, mutating or not (a Publish that paged).
        applied: (mutating && status < 300) || madeAnyway,
        epoch,
        actor,
        ...(before ? { before } : {}),
        seq: this.calls.length + 1,
        at: new Date(this.clock.now()).toISOString(),
        wallMs: arrivedAt,
        operation,
        params: request.params,
        status,
        outcome,
        injected,
        mutating,
      });

    this.fleet.tick();
    const latency = this.faults.latency(operation);
    if (latency > 0) await sleep(latency);
    // Under virtual time a fault is a function of the request, not of the order concurrent requests
    // arrive in: the same seed faults the same calls however the network interleaves them.
    const requestKey = `${epoch}|${operation}|${stableJson(request.params)}`;
    const occurrence = (this.occurrences.get(requestKey) ?? 0) + 1;
    this.occurrences.set(requestKey, occurrence);
    const fault = this.faults.decide(operation, this.scheduler ? `${requestKey}|${occurrence}` : undefined);
    let made = false;
    if (fault?.kind === 'after') {
      // AWS made the change, but the answer was lost (a timeout, a reset connection): the caller
      // sees a 5xx for a call that went through.
      try {
        await this.dispatch(operation, request.params);
        made = true;
      } catch {
        // It failed on its own: the caller still sees the injected 5xx.
      }
    }
    if (fault) {
      const { code, status, message } = FAULT_REPLIES[fault.kind](request.protocol);
      log(status, code, true, made);
      return errorReply(request, code, message, status);
    }
    if (request.service === 'DynamoDB') return this.proxyToDynamoDb(req, body, log);
    try {
      const result = await this.dispatch(operation, request.params);
      log(200, 'ok', false);
      return successReply(request, result);
    } catch (error) {
      const e =
        error instanceof ProtocolError
          ? error
          : new ProtocolError('InternalFailure', error instanceof Error ? error.message : String(error), 500);
      log(e.status, e.code, false);
      return errorReply(request, e.code, e.message, e.status, e.queryCode);
    }
  }

  /** What a mutating call acts on, as it is at the call's instant (the fleet brought up to now first). */
  private snapshotBefore(operation: string, params: Params, actor: string): CallBefore {
    const fleet = this.fleet;
    fleet.tick();
    const before: CallBefore = {};
    const groupName = stringParam(params, 'AutoScalingGroupName');
    const instanceIds =
      operation === 'AutoScaling.SetInstanceHealth'
        ? [stringParam(params, 'InstanceId')]
        : operation === 'SSM.StartAutomationExecution'
          ? ((((params.Parameters ?? {}) as Record<string, unknown>).InstanceId as string[] | undefined) ?? [])
          : [];
    const groups = new Set<string>();
    if (operation === 'AutoScaling.SetDesiredCapacity') {
      const group = fleet.groups.get(groupName);
      if (group) {
        Object.assign(before, { desired: group.desired, minSize: group.minSize, maxSize: group.maxSize });
        before.desiredHistory = [...(fleet.desiredHistory.get(groupName) ?? [])];
        groups.add(groupName);
      }
    }
    for (const id of Array.isArray(instanceIds) ? instanceIds : []) {
      const state = fleet.instances.get(String(id))?.ec2State;
      if (state) (before.instanceStates ??= {})[String(id)] = state;
      const owner = fleet.instances.get(String(id))?.groupName;
      if (!owner) continue;
      (before.instanceGroups ??= {})[String(id)] = owner;
      groups.add(owner);
    }
    for (const name of groups)
      (before.healthyInService ??= {})[name] = fleet
        .membersOf(name)
        .filter((i) => i.lifecycle === 'InService' && i.health === 'Healthy').length;
    if (operation.startsWith('CodeDeploy.')) {
      const named = fleet.deployments.get(stringParam(params, 'deploymentId'));
      const application = named?.applicationName ?? stringParam(params, 'applicationName');
      const deploymentGroup = named?.deploymentGroupName ?? stringParam(params, 'deploymentGroupName');
      const newest = [...fleet.deployments.values()]
        .filter((d) => d.applicationName === application && d.deploymentGroupName === deploymentGroup)
        .sort((a, b) => b.createTime - a.createTime)[0];
      if (newest)
        before.newestDeployment = {
          id: newest.deploymentId,
          status: newest.status,
          creator: newest.creator,
          ...(newest.description ? { description: newest.description } : {}),
        };
    }
    const input = this.executions.get(actor.split('|')[0] ?? '')?.input as { alarm?: { name?: unknown } } | undefined;
    const alarm = typeof input?.alarm?.name === 'string' ? fleet.alarms.get(input.alarm.name) : undefined;
    if (alarm)
      before.alarm = {
        name: alarm.name,
        state: alarm.state,
        updatedAt: alarm.updatedAt,
        namespace: alarm.namespace,
        dimensions: { ...alarm.dimensions },
        tags: Object.fromEntries(
          Object.entries(alarm.tags).filter(([key]) => key.startsWith('selfhealing:codedeploy')),
        ),
      };
    return before;
  }

  private async proxyToDynamoDb(
    req: IncomingMessage,
    body: string,
    log: (status: number, outcome: string, injected: boolean) => void,
  ): Promise<HttpReply> {
    // node:http with a keep-alive agent: about half of what fetch (undici) costs per proxied call.
    const response = await new Promise<{ status: number; headers: IncomingMessage['headers']; text: string }>(
      (resolve, reject) => {
        const forward = httpRequest(
          this.dynamoUrl,
          {
            method: 'POST',
            agent: this.dynamoAgent,
            headers: {
              'content-type': String(req.headers['content-type'] ?? 'application/x-amz-json-1.0'),
              'x-amz-target': String(req.headers['x-amz-target']),
              authorization: String(req.headers.authorization ?? ''),
              'x-amz-date': String(req.headers['x-amz-date'] ?? ''),
              'content-length': Buffer.byteLength(body),
            },
          },
          (res) => {
            readBody(res).then(
              (text) => resolve({ status: res.statusCode ?? 500, headers: res.headers, text }),
              reject,
            );
          },
        );
        forward.on('error', reject);
        forward.end(body);
      },
    );
    const { status, text } = response;
    const errorType =
      status < 300 ? 'ok' : (((JSON.parse(text) as { __type?: string }).__type ?? 'error').split('#').pop() ?? 'error');
    log(status, errorType, false);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(response.headers)) {
      if (typeof value === 'string' && (key === 'content-type' || key.startsWith('x-amz'))) headers[key] = value;
    }
    return { status, headers, body: text };
  }

  private dispatch(operation: string, params: Params): Params | Promise<Params> {
    const context: ServiceContext = {
      fleet: this.fleet,
      published: this.published,
      queued: this.queued,
      delivered: (message) => this.onPublished?.(message),
      topics: this.topics,
      queues: this.queues,
    };
    switch (operation) {
      case 'StepFunctions.StartExecution':
        return this.startExecution(params);
      case 'StepFunctions.DescribeExecution':
        return this.describeExecution(params);
      case 'StepFunctions.ListExecutions':
        return listExecutions([...this.executions.values()], this.machineArn(params), params);
      case 'StepFunctions.GetExecutionHistory': {
        const record = this.executionOf(params);
        return executionHistory(record.run?.events ?? this.workflow?.liveEvents.get(record.name) ?? [], params);
      }
      case 'StepFunctions.DescribeStateMachine': {
        const arn = this.machineArn(params);
        // Loaded here: the workflow module must not load before the sandbox has set the environment.
        return import('../workflow').then(({ substitutedDefinition }) =>
          describeStateMachine(arn, JSON.stringify(substitutedDefinition()), this.startedAt),
        );
      }
      case 'StepFunctions.ListStateMachines':
        return {
          stateMachines: [
            {
              stateMachineArn: stateMachineArn(),
              name: stateMachineArn().split(':').pop(),
              type: 'STANDARD',
              creationDate: new Date(this.startedAt),
            },
          ],
        };
      case 'StepFunctions.SendTaskSuccess':
      case 'StepFunctions.SendTaskFailure': {
        const token = stringParam(params, 'taskToken');
        const task = this.pendingTasks.get(token);
        if (!task) throw new ProtocolError('TaskDoesNotExist', `Task token ${token.slice(0, 40)} is not waiting`);
        if (operation === 'StepFunctions.SendTaskSuccess')
          task.resolve(JSON.parse(stringParam(params, 'output') || 'null'));
        else
          task.reject(
            Object.assign(new Error(stringParam(params, 'cause')), {
              name: stringParam(params, 'error') || 'States.TaskFailed',
            }),
          );
        return {};
      }
    }
    const handler = OPERATIONS[operation];
    if (!handler) throw new ProtocolError('UnknownOperationException', `The sandbox does not implement ${operation}`);
    return handler(params, context);
  }

  /** The one state machine the sandbox runs; any other ARN is StateMachineDoesNotExist, as on AWS. */
  private machineArn(params: Params): string {
    const arn = stringParam(params, 'stateMachineArn');
    if (arn !== stateMachineArn())
      throw new ProtocolError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return arn;
  }

  private executionOf(params: Params): ExecutionRecord {
    const arn = stringParam(params, 'executionArn');
    const record = [...this.executions.values()].find((e) => e.executionArn === arn);
    if (!record) throw new ProtocolError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return record;
  }

  private startExecution(params: Params): Params {
    const arn = this.machineArn(params);
    // AWS names an unnamed execution with a UUID.
    const name = typeof params.name === 'string' && params.name !== '' ? params.name : randomUUID();
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new ProtocolError('InvalidName', `Invalid Name: '${name}'`);
    if (this.executions.has(name))
      throw new ProtocolError('ExecutionAlreadyExists', `Execution Already Exists: '${name}'`);
    const text = typeof params.input === 'string' ? params.input : '{}';
    if (Buffer.byteLength(text, 'utf8') > 256 * 1024)
      throw new ProtocolError('InvalidExecutionInput', 'Input exceeds the maximum size of 262144 bytes');
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch (error) {
      throw new ProtocolError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${error instanceof Error ? error.message : String(error)}'`,
      );
    }
    const startedAt = this.clock.now();
    const executionArn = `${arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const record: ExecutionRecord = {
      name,
      executionArn,
      input,
      startedAt,
      status: 'RUNNING',
      done: Promise.resolve(),
    };
    record.done = (async () => {
      const workflow = this.workflow;
      if (!workflow) throw new Error('Sandbox workflow not ready');
      const run = await workflow.run(input, {
        executionName: name,
        startTime: new Date(startedAt),
        retryMs: 5_000 / this.speed,
      });
      record.run = run;
      record.status = run.status;
      record.stoppedAt = this.clock.now();
    })();
    this.executions.set(name, record);
    return { executionArn, startDate: new Date(startedAt) };
  }

  private describeExecution(params: Params): Params {
    const record = this.executionOf(params);
    const arn = record.executionArn;
    return {
      executionArn: arn,
      stateMachineArn: stateMachineArn(),
      name: record.name,
      status: record.status,
      startDate: new Date(record.startedAt),
      ...(record.stoppedAt ? { stopDate: new Date(record.stoppedAt) } : {}),
      input: JSON.stringify(record.input),
      ...(record.run?.output !== undefined ? { output: JSON.stringify(record.run.output) } : {}),
      ...(record.run?.error ? { error: record.run.error.Error, cause: String(record.run.error.Cause) } : {}),
    };
  }
}
