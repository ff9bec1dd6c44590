import { readAlarm } from './alarms';
import { refusedBeforeChange } from './aws-errors';
import { budgetCounterKeys, budgetSettingsFromEnv, consumeBudget, refundBudget } from './budget-table';
import { disruptionEntries, holdDisruption, readInFlight, releaseClaimedDisruption } from './disruption';
import { guardSettingsFromEnv, readItem, recordIntent, claimedCallOf, withdrawIntent } from './guard-table';
import { killSwitchOn } from './kill-switch';
import {
  ApprovalRequired,
  BudgetExhausted,
  LockLost,
  NoLongerNeeded,
  TargetChanged,
  skipError,
} from '../domain/errors';
import type { Applied, PlannedState, Prepared } from '../domain/execution-state';
import { type Guard, lockKeysOf } from '../domain/guard-schema';
import { type BudgetCounted, type Claim, afterChangeSeconds } from '../domain/guardrails';
import type { ActionType } from '../domain/policy/actions';
import { logger } from '../platform/powertools';
import {
  type ApprovalBasis,
  type Call,
  type Decision,
  type KernelInput,
  type LiveDeployment,
  type LiveGroup,
  type LiveInstance,
  type LiveState,
  allowedInFlight,
  atCall,
  decide,
  disruptionKey,
  gate,
} from '../domain/safety-kernel';
import { targetKeysOf } from '../domain/targets';
import { clock } from '../platform/clock';
import { requiredEnv } from '../platform/env';
import { settleAll } from '../platform/settle';

// The pre-flight of every mutating call: it reads, in one round trip, everything that can have
// changed while the execution waited (for a human, a retry, a concurrency slot) — the kill switch
// uncached, the alarm, the target as it is, what other executions have in flight on its group, and
// what an earlier attempt of this step already claimed — hands it to the safety kernel
// (domain/safety-kernel.ts), and, when the kernel lets the change go, claims it right before the
// call: the locks still held and the exact call recorded, the blast-radius slot and the budget
// taken. A call AWS refuses gives all of it back. The prepare steps read the same way (without the
// kill switch and the claim), so a human approves the change the kernel would make.

const pauseParameterName = requiredEnv('PAUSE_PARAMETER_NAME');
const guardSettings = guardSettingsFromEnv();
const budgetSettings = budgetSettingsFromEnv(guardSettings.tableName);

/** A task of the workflow that may change something: the plan, and what the guard and prepare steps said. */
export type ChangeTask = PlannedState & { guard?: Guard | undefined; prepared?: Prepared | undefined };

/**
 * What the kernel needs read for this change besides the kill switch, the alarm and the guard
 * table, with the readers that read it (each action's handler brings its own: a function bundles
 * only the clients it calls).
 */
export interface Reads {
  groups?: string[];
  describeGroups?: (names: string[]) => Promise<{ groups: Record<string, LiveGroup>; members: LiveInstance[] }>;
  instances?: string[];
  locateInstances?: (ids: string[]) => Promise<Record<string, LiveInstance>>;
  latestDeployment?: () => Promise<LiveDeployment | undefined>;
}

type Mode = 'prepare' | 'dry-run' | 'call';

const none = { groups: {}, members: [] as LiveInstance[] };

/**
 * Reads the live state the kernel decides on. One round trip for the reads that do not depend on
 * each other; a second only for a group an instance turned out to be in that was not known before.
 */
export async function readLive(task: ChangeTask, reads: Reads, mode: Mode): Promise<Read> {
  const now = clock.now();
  const owner = task.guard?.owner ?? task.incident.id;
  const keys = task.guard ? lockKeysOf(task.guard) : [];
  const knownGroups = [...new Set(reads.groups ?? [])];
  const describe = (names: string[]) =>
    names.length > 0 && reads.describeGroups ? reads.describeGroups(names) : Promise.resolve(none);
  const ids = reads.instances ?? [];
  // The kill switch and the alarm first: what they decide holds even when another read failed.
  const [pausedRead, alarmRead] = [
    mode === 'call' ? killSwitchOn(pauseParameterName, now) : Promise.resolve(undefined),
    task.incident.alarm ? readAlarm(task.incident.alarm.name) : Promise.resolve(undefined),
  ];
  const gateFirst = async <T>(read: Promise<T>): Promise<T> => {
    try {
      return await read;
    } catch (error) {
      const [paused, alarm] = await Promise.allSettled([pausedRead, alarmRead]);
      const live: LiveState = {
        now,
        ...(paused.status === 'fulfilled' && paused.value !== undefined ? { paused: paused.value } : {}),
        ...(alarm.status === 'fulfilled' && alarm.value ? { alarm: alarm.value } : {}),
        groups: {},
        instances: {},
        inFlight: {},
      };
      const stopped = gate({ incident: task.incident, plan: task.plan, live });
      if (stopped) throw skipError(stopped.reason, stopped.why);
      throw error;
    }
  };
  const [paused, alarm, latest, item, located, described, inFlight] = await gateFirst(
    settleAll([
      pausedRead,
      alarmRead,
      reads.latestDeployment ? reads.latestDeployment() : Promise.resolve(undefined),
      mode === 'call' && keys[0] ? readItem(guardSettings, keys[0]) : Promise.resolve(undefined),
      ids.length > 0 && reads.locateInstances
        ? reads.locateInstances(ids)
        : Promise.resolve<Record<string, LiveInstance>>({}),
      describe(knownGroups),
      mode === 'prepare' || mode === 'call'
        ? readInFlight(guardSettings.tableName, knownGroups, owner, now)
        : Promise.resolve({ others: {}, expired: {} }),
    ]),
  );
  const groups = { ...described.groups };
  const others = { ...inFlight.others };
  const discovered = [
    ...new Set(
      Object.values(located)
        .map((i) => i.group)
        .filter((g): g is string => g !== undefined && !(g in groups)),
    ),
  ];
  if (discovered.length > 0) {
    const [more, moreInFlight] = await settleAll([
      describe(discovered),
      readInFlight(guardSettings.tableName, discovered, owner, now),
    ]);
    Object.assign(groups, more.groups);
    Object.assign(others, moreInFlight.others);
    Object.assign(inFlight.expired, moreInFlight.expired);
  }
  // An instance named in a described group but not asked about individually is where its group says.
  const instances: Record<string, LiveInstance> = {};
  for (const member of described.members) instances[member.id] = member;
  Object.assign(instances, located);
  const claimed = mode === 'call' ? claimedCallOf(item, owner) : undefined;
  return {
    live: {
      now,
      ...(paused !== undefined ? { paused } : {}),
      ...(alarm ? { alarm: { state: alarm.state, changedAt: alarm.changedAt } } : {}),
      groups,
      instances,
      ...(latest ? { latestDeployment: latest } : {}),
      inFlight: others,
    },
    expired: inFlight.expired,
    ...(claimed ? { claimed } : {}),
    ...(claimed && item?.claimed ? { claim: item.claimed } : {}),
  };
}

/** What the pre-flight read: the live state, what an earlier attempt claimed, and disruption entries whose time ran out. */
export interface Read {
  live: LiveState;
  claimed?: Call;
  claim?: Claim;
  expired: Record<string, string[]>;
}

/** What a human approved for this change, if they approved this very change (an approval binds to the prepared change's key). */
export function approvedBasis(task: ChangeTask, basis: ApprovalBasis | undefined): ApprovalBasis | undefined {
  const prepared = task.prepared;
  if (!prepared?.approvalRequired || !prepared.key || task.guard?.approved?.key !== prepared.key) return undefined;
  return basis;
}

/** The kernel's decision on live state read now. */
export async function preflight(
  task: ChangeTask,
  reads: Reads,
  mode: Mode,
  extra: Pick<KernelInput, 'rollback' | 'automationRoleArn'> = {},
  /** After this attempt recorded its own intent: what an earlier attempt had claimed, read before it. */
  earlier?: { claimed: Call | undefined },
): Promise<Read & { decision: Decision }> {
  const read = await readLive(task, reads, mode);
  const claimed = earlier ? earlier.claimed : read.claimed;
  const decision = decide({
    incident: task.incident,
    plan: task.plan,
    live: read.live,
    ...(claimed ? { claimed } : {}),
    ...extra,
  });
  return { decision, ...read };
}

/**
 * The one mutating call, right before which the kernel decided again on state read now: made only
 * when the kernel says go, under a claim (locks proven and the exact call recorded, blast-radius
 * slot and budget taken), all given back when AWS refuses the call.
 */
export async function act<T>(
  task: ChangeTask,
  read: Read & { decision: Decision },
  approved: ApprovalBasis | undefined,
  call: (call: Call) => Promise<T>,
  /**
   * The same pre-flight, read again after the claim, right before the call. It is given what an
   * earlier attempt claimed (read before this attempt recorded its own intent, which is not one).
   */
  decideAgain: (earlier: { claimed: Call | undefined }) => Promise<{ decision: Decision }>,
): Promise<
  | { made: true; call: Call; result: T; description: string; watch: Applied['watch'] }
  | { made: false; call: Call; watch: Applied['watch']; why: string }
> {
  const tolerance = task.plan.safety?.approvedChangeToleranceInstances ?? 0;
  const verdict = atCall(read.decision, approved, tolerance);
  if (verdict.verdict === 'stop') throw skipError(verdict.reason, verdict.why);
  if (verdict.verdict === 'approve') {
    if ((task.guard?.round?.n ?? 0) >= MAX_PREPARATIONS - 1)
      throw new NoLongerNeeded(
        `${verdict.why}; prepared ${MAX_PREPARATIONS} times and the target changed each time: a human decides`,
      );
    throw new ApprovalRequired(verdict.why);
  }
  if (verdict.verdict === 'done')
    return { made: false, call: verdict.decision.call, watch: verdict.decision.watch, why: verdict.decision.why };
  const decision = verdict.decision;
  const guard = task.guard;
  const keys = guard ? lockKeysOf(guard) : [];
  const planned = task.plan.action ? targetKeysOf(task.plan.action) : [];
  if (!guard?.lockAcquired || keys.length === 0 || planned.some((key) => !keys.includes(key)))
    throw new LockLost(
      `${task.incident.id} holds no lock on ${planned.join(', ') || 'its target'}: not calling ${decision.call.operation}`,
    );
  const owner = guard.owner ?? task.incident.id;
  const now = read.live.now;
  const hold = afterChangeSeconds(task.plan);
  const until = Math.floor(now.getTime() / 1000) + hold;
  // A retry takes back what its earlier attempt claimed, not new slots or counters.
  const earlier = read.claim;
  const disruption: Record<string, string[]> = {};
  for (const [group, count] of Object.entries(decision.disruption))
    if (count > 0)
      disruption[disruptionKey(group)] =
        earlier?.disruption?.[disruptionKey(group)] ?? disruptionEntries(owner, count, until);
  const consumer = `${owner}#${task.plan.escalation.step}`;
  const actionType = task.plan.action?.type ?? 'notify';
  const budget = earlier?.budget ?? {
    keys: budgetCounterKeys(budgetSettings, actionType, now),
    consumer,
    at: now.toISOString(),
  };
  const claim: Claim = { ...(Object.keys(disruption).length > 0 ? { disruption } : {}), budget };
  await recordIntent(guardSettings, owner, keys, decision.call, now, hold, claim);
  // What this attempt claimed is given back when it made no call. Not an earlier attempt's claim:
  // its call may have gone through, and its record is what stops a retry from acting twice.
  const giveBack = async () => {
    if (earlier) return;
    await withdrawIntent(guardSettings, owner, keys);
    await releaseClaimedDisruption(guardSettings.tableName, disruption);
    await refundBudget(guardSettings.tableName, budget);
  };
  try {
    await claimTheRest(task, read, decision, approved, disruption, budget, actionType, now);
    // The claim took several writes (each retried when throttled): decide once more on state read
    // now, and call only if the kernel still makes this very call. What moved meanwhile (target
    // tracking, a person, the kill switch) sends the change back.
    const again = atCall((await decideAgain({ claimed: read.claimed })).decision, approved, tolerance);
    if (again.verdict === 'stop') throw skipError(again.reason, again.why);
    if (again.verdict === 'approve') throw new ApprovalRequired(again.why);
    if (again.verdict === 'done')
      throw new NoLongerNeeded(`${again.decision.why}, while this change was being claimed: not calling`);
    if (!sameCall(again.decision.call, decision.call))
      throw new TargetChanged(
        `the target changed while the change was claimed: ${describeCall(decision.call)} became ${describeCall(again.decision.call)}; preparing again`,
      );
  } catch (error) {
    // No call was made: nothing counts this attempt (cooldown, breaker, budget, blast radius).
    await giveBack().catch((failed: unknown) =>
      logger.warn('Could not give back what the claim took (its lock and TTLs end it)', { failed }),
    );
    throw error;
  }
  try {
    const result = await call(decision.call);
    return { made: true, call: decision.call, result, description: decision.description, watch: decision.watch };
  } catch (error) {
    // Refused before it changed anything (its one attempt answered 4xx): nothing counts it.
    if (refusedBeforeChange(error)) await giveBack();
    throw error;
  }
}

/** The rest of the claim: a blast-radius slot in each group the change disrupts, and the budget. */
async function claimTheRest(
  task: ChangeTask,
  read: Read,
  decision: Extract<Decision, { kind: 'change' }>,
  approved: ApprovalBasis | undefined,
  disruption: Record<string, string[]>,
  budget: BudgetCounted,
  actionType: ActionType,
  now: Date,
): Promise<void> {
  for (const [group, count] of Object.entries(decision.disruption)) {
    const entries = disruption[disruptionKey(group)] ?? [];
    if (count <= 0) continue;
    const room = approved
      ? undefined
      : allowedInFlight(
          read.live.groups[group] ?? { name: group, minSize: 0, maxSize: 0, desired: 0, healthyInService: 0 },
          task.plan.safety?.blastRadius ?? { maxInstances: 1, maxPercent: 0 },
        );
    // Never this attempt's own entries (a retry re-adds the same ones).
    const expired = (read.expired[disruptionKey(group)] ?? []).filter((entry) => !entries.includes(entry));
    if (!(await holdDisruption(guardSettings.tableName, group, entries, room, expired)))
      throw new ApprovalRequired(
        `another remediation started disrupting ${group} since the read: no room left in its blast radius without a human`,
      );
  }
  // Taken on every attempt (idempotent per consumer): an earlier attempt may have recorded its claim
  // and then failed to take the budget (a throttled write), and must not go out uncounted.
  const taken = await consumeBudget(budgetSettings, budget.consumer, actionType, budget.at ? new Date(budget.at) : now);
  if (!taken.ok) throw new BudgetExhausted(taken.detail);
}

const describeCall = (call: Call) => `${call.operation} ${JSON.stringify(call.input)}`;
const sameCall = (a: Call, b: Call) => describeCall(a) === describeCall(b);

/** How often one rung's change may be prepared (each time, a human is asked again): then a human decides. */
export const MAX_PREPARATIONS = 3;
