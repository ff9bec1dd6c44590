import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Incident } from '../../functions/domain/incident';
import type { Plan } from '../../functions/domain/execution-state';
import type { Action } from '../../functions/domain/policy/actions';
import { loadDefaultPolicy } from '../../functions/domain/policy/load';
import { planRemediation } from '../../functions/domain/policy/engine';
import {
  type ApprovalBasis,
  type Decision,
  type LiveGroup,
  type LiveState,
  allowedInFlight,
  atCall,
  decide,
  nextCapacity,
} from '../../functions/domain/safety-kernel';
import type { RollbackChoice } from '../../functions/domain/rollback';
import { targetKeysOf } from '../../functions/domain/targets';
import { incidentFrom } from '../helpers/incidents';

// The safety kernel's rules (docs/safety.md), as properties over generated worlds: groups above
// their MaxSize or cap, floors above MaxSize, deployments superseded or finished, alarms in every
// state, bindings that do or do not name the target, other executions disrupting the group, earlier
// attempts that recorded a call, approvals of other changes. Seeded: the same worlds on every run.

const RUNS = { numRuns: 3000, seed: 26 };
const NOW = new Date('2026-11-23T10:16:00.000Z');

const base = incidentFrom('sns-alarm-cpu-high');
const basePlan = planRemediation(base, loadDefaultPolicy(), { stackDryRun: false, now: NOW });

const group = fc
  .record({
    minSize: fc.integer({ min: 0, max: 40 }),
    maxSize: fc.integer({ min: 0, max: 60 }),
    desired: fc.integer({ min: 0, max: 80 }),
    // Small groups often: the last healthy instances are where the floor matters.
    healthyInService: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 80 })),
  })
  .map((g): LiveGroup => ({ name: 'g', ...g }));

const scaleAction = fc.oneof(
  fc.record({
    type: fc.constant('scale-out' as const),
    autoScalingGroupName: fc.constant('g'),
    step: fc.integer({ min: 1, max: 20 }),
    maxCapacity: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
  }),
  fc.record({
    type: fc.constant('scale-in' as const),
    autoScalingGroupName: fc.constant('g'),
    step: fc.integer({ min: 1, max: 20 }),
    minCapacity: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
  }),
);

describe('capacity (nextCapacity), over generated groups and rules', () => {
  it('a scale-out only raises, a scale-in only lowers, never outside MinSize..MaxSize, the cap or the floor', () => {
    fc.assert(
      fc.property(scaleAction, group, (action, g) => {
        const next = nextCapacity(action, g);
        if ('noop' in next) return;
        expect(next.to).toBeGreaterThanOrEqual(g.minSize);
        expect(next.to).toBeLessThanOrEqual(g.maxSize);
        if (action.type === 'scale-out') {
          expect(next.to).toBeGreaterThan(g.desired);
          expect(next.to).toBeLessThanOrEqual(action.maxCapacity ?? Infinity);
          expect(next.to - g.desired).toBeLessThanOrEqual(Math.max(action.step, g.minSize - g.desired));
        } else {
          expect(next.to).toBeLessThan(g.desired);
          expect(next.to).toBeGreaterThanOrEqual(action.minCapacity ?? 0);
          expect(g.desired - next.to).toBeLessThanOrEqual(Math.max(action.step, g.desired - g.maxSize));
        }
      }),
      RUNS,
    );
  });

  it('makes no change only when no capacity both moves the right way and stays within bounds', () => {
    fc.assert(
      fc.property(scaleAction, group, (action, g) => {
        const next = nextCapacity(action, g);
        const valid = Array.from({ length: 81 }, (_, to) => to).filter(
          (to) =>
            to >= g.minSize &&
            to <= g.maxSize &&
            (action.type === 'scale-out'
              ? to > g.desired && to <= (action.maxCapacity ?? Infinity)
              : to < g.desired && to >= (action.minCapacity ?? 0)),
        );
        expect('noop' in next).toBe(valid.length === 0);
      }),
      RUNS,
    );
  });
});

/** A world the kernel decides in: the incident, its plan, what is live, and what an earlier attempt recorded. */
interface World {
  incident: Incident;
  plan: Plan;
  live: LiveState;
  rollback?: RollbackChoice;
  claimed?: { operation: string; input: Record<string, unknown> };
}

const alarmState = fc.constantFrom('ALARM', 'ALARM', 'OK', 'INSUFFICIENT_DATA');
const instanceId = fc.constantFrom('i-1', 'i-2', 'i-3');

const action: fc.Arbitrary<Action> = fc.oneof(
  scaleAction,
  instanceId.map((id): Action => ({ type: 'replace-instance', instanceId: id })),
  fc.constant<Action>({ type: 'rollback-deployment', application: 'app', deploymentGroup: 'prod' }),
  fc.subarray(['i-1', 'i-2', 'i-3'], { minLength: 1 }).map((ids): Action => ({
    type: 'run-automation',
    documentName: 'AWS-RestartEC2Instance',
    parameters: { InstanceId: ids },
    useAutomationRole: true,
  })),
);

/** Mostly the benign value: each rule is exercised in worlds where no other rule already decided. */
const mostly = <T>(usual: T, rare: T) => fc.constantFrom(usual, usual, usual, rare);

const world: fc.Arbitrary<World> = fc
  .record({
    action,
    bindTargets: mostly(true, false),
    attested: mostly(true, false),
    startedBy: mostly<'ingest' | 'operator'>('ingest', 'operator'),
    operatorApproval: fc.subarray([
      'scale-out',
      'scale-in',
      'replace-instance',
      'rollback-deployment',
      'run-automation',
    ]),
    paused: mostly(false, true),
    alarm: alarmState,
    actOnInsufficientData: fc.boolean(),
    group,
    members: fc.array(
      fc.record({
        id: instanceId,
        inGroup: fc.boolean(),
        managed: fc.boolean(),
        lifecycle: fc.constantFrom('InService', 'InService', 'Terminating', 'Pending'),
        health: fc.constantFrom('HEALTHY', 'HEALTHY', 'UNHEALTHY'),
      }),
      { maxLength: 3 },
    ),
    inFlight: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 12 })),
    approvalRequired: mostly(false, true),
    capacityThreshold: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }),
    latest: fc.constantFrom('d-BAD', 'd-NEWER', 'd-OURS'),
    latestStatus: fc.constantFrom('Succeeded', 'InProgress', 'Failed', 'Stopped'),
    mode: fc.constantFrom<RollbackChoice['mode']>('redeploy', 'stop'),
    claimedTo: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }),
    detectedAheadSeconds: fc.constantFrom(0, 0, 0, 3600 * 24 * 365 * 70),
  })
  .map((w): World => {
    const incident: Incident = {
      ...base,
      detectedAt: new Date(NOW.getTime() - 30_000 + w.detectedAheadSeconds * 1000).toISOString(),
    };
    const plan: Plan = {
      ...basePlan,
      action: w.action,
      approval: {
        required: w.approvalRequired,
        timeoutSeconds: 3600,
        ...(w.capacityThreshold !== undefined ? { capacityIncreaseOverPercent: w.capacityThreshold } : {}),
      },
      safety: {
        bound: {
          targets: w.bindTargets ? targetKeysOf(w.action) : ['asg:some-other-group'],
          attested: w.bindTargets && w.attested ? targetKeysOf(w.action) : [],
          documents: ['AWS-RestartEC2Instance'],
          parameterValues: {},
        },
        actOnInsufficientData: w.actOnInsufficientData,
        blastRadius: { maxInstances: 1, maxPercent: 25 },
        approvedChangeToleranceInstances: 0,
        startedBy: w.startedBy,
        operatorApproval: w.operatorApproval,
      },
    };
    const instances = Object.fromEntries(
      w.members.map((m) => [
        m.id,
        m.inGroup
          ? { id: m.id, found: true, group: 'g', lifecycle: m.lifecycle, health: m.health }
          : { id: m.id, found: m.managed },
      ]),
    );
    const rollback: RollbackChoice =
      w.mode === 'stop'
        ? {
            mode: 'stop',
            application: 'app',
            deploymentGroup: 'prod',
            deploymentId: 'd-BAD',
            description: 'stop d-BAD',
          }
        : {
            mode: 'redeploy',
            application: 'app',
            deploymentGroup: 'prod',
            badDeploymentId: 'd-BAD',
            goodDeploymentId: 'd-GOOD',
            revision: { revisionType: 'S3' },
            description: 'redeploy d-GOOD over d-BAD',
          };
    const ours = `SelfHealing rollback for incident ${incident.id}: revision of d-GOOD replaces d-BAD`;
    const live: LiveState = {
      now: NOW,
      paused: w.paused,
      alarm: { state: w.alarm, changedAt: NOW },
      groups: { g: w.group },
      instances,
      latestDeployment: {
        id: w.latest,
        status: w.latestStatus,
        ...(w.latest === 'd-OURS' ? { description: ours } : {}),
      },
      inFlight: { g: w.inFlight },
    };
    const claimed =
      w.claimedTo !== undefined && (w.action.type === 'scale-out' || w.action.type === 'scale-in')
        ? {
            operation: 'AutoScaling.SetDesiredCapacity',
            input: { AutoScalingGroupName: 'g', DesiredCapacity: w.claimedTo, HonorCooldown: false },
          }
        : undefined;
    return { incident, plan, live, rollback, ...(claimed ? { claimed } : {}) };
  });

const decided = (w: World): Decision =>
  decide({
    incident: w.incident,
    plan: w.plan,
    live: w.live,
    ...(w.rollback ? { rollback: w.rollback } : {}),
    ...(w.claimed ? { claimed: w.claimed } : {}),
  });
const changes = (d: Decision) => d.kind === 'change';

describe('the safety kernel (decide), over generated worlds', () => {
  it('changes nothing while the kill switch is on', () => {
    fc.assert(
      fc.property(world, (w) => {
        if (w.live.paused) expect(decided(w)).toMatchObject({ kind: 'stop', reason: 'Paused' });
      }),
      RUNS,
    );
  });

  it('changes nothing of a target its incident is not bound to', () => {
    fc.assert(
      fc.property(world, (w) => {
        const bound = new Set(w.plan.safety?.bound.targets);
        if (!w.live.paused && targetKeysOf(w.plan.action as Action).some((k) => !bound.has(k)))
          expect(changes(decided(w))).toBe(false);
      }),
      RUNS,
    );
  });

  it('changes nothing for an incident dated in the future (its age cannot be trusted)', () => {
    fc.assert(
      fc.property(world, (w) => {
        if (Date.parse(w.incident.detectedAt) > NOW.getTime() + 300_000) expect(changes(decided(w))).toBe(false);
      }),
      RUNS,
    );
  });

  it('acts only while the alarm reads ALARM, but for a pure scale-out (or a rule that allows INSUFFICIENT_DATA)', () => {
    fc.assert(
      fc.property(world, (w) => {
        const d = decided(w);
        if (!changes(d)) return;
        const state = w.live.alarm?.state;
        const scaleOut = w.plan.action?.type === 'scale-out';
        expect(state).not.toBe('OK');
        if (state === 'INSUFFICIENT_DATA') expect(scaleOut || w.plan.safety?.actOnInsufficientData).toBe(true);
      }),
      RUNS,
    );
  });

  it('sets a capacity that only raises for a scale-out and only lowers for a scale-in, within bounds; a retry makes the recorded call (no larger a change than a fresh one) or none', () => {
    fc.assert(
      fc.property(world, (w) => {
        const d = decided(w);
        if (d.kind !== 'change' || d.call.operation !== 'AutoScaling.SetDesiredCapacity') return;
        const to = Number(d.call.input.DesiredCapacity);
        const g = w.live.groups.g as LiveGroup;
        const action = w.plan.action as Extract<Action, { type: 'scale-out' | 'scale-in' }>;
        if (action.type === 'scale-out') expect(to).toBeGreaterThan(g.desired);
        else expect(to).toBeLessThan(g.desired);
        expect(to).toBeGreaterThanOrEqual(g.minSize);
        expect(to).toBeLessThanOrEqual(g.maxSize);
        if (w.claimed) {
          expect(to).toBe(w.claimed.input.DesiredCapacity);
          // Made again, an earlier attempt's value is never a larger change than a fresh decision.
          const fresh = nextCapacity(action, g);
          expect('noop' in fresh).toBe(false);
          if (!('noop' in fresh)) expect(Math.abs(to - g.desired)).toBeLessThanOrEqual(Math.abs(fresh.to - g.desired));
        }
      }),
      RUNS,
    );
  });

  it('rolls back only while the deployment it replaces is the live one (and a stop only while it runs)', () => {
    fc.assert(
      fc.property(world, (w) => {
        const d = decided(w);
        if (d.kind !== 'change' || w.plan.action?.type !== 'rollback-deployment') return;
        expect(w.live.latestDeployment?.id).toBe('d-BAD');
        if (w.rollback?.mode === 'stop') expect(['InProgress']).toContain(w.live.latestDeployment?.status);
      }),
      RUNS,
    );
  });

  it('asks a human whenever the change would take more than the blast radius of a group out at once', () => {
    fc.assert(
      fc.property(world, (w) => {
        const d = decided(w);
        if (d.kind !== 'change') return;
        const g = w.live.groups.g as LiveGroup;
        const disrupted = d.disruption.g ?? 0;
        if (
          disrupted > 0 &&
          (w.live.inFlight.g ?? 0) + disrupted > allowedInFlight(g, { maxInstances: 1, maxPercent: 25 })
        )
          expect(d.approvalReasons.length).toBeGreaterThan(0);
      }),
      RUNS,
    );
  });

  it("asks a human before anything but a scale-out of a target only the alarm's own text named", () => {
    fc.assert(
      fc.property(world, (w) => {
        const d = decided(w);
        if (d.kind !== 'change' || w.plan.action?.type === 'scale-out') return;
        const attested = new Set(w.plan.safety?.bound.attested);
        if (targetKeysOf(w.plan.action as Action).some((k) => !attested.has(k)))
          expect(d.approvalReasons.length).toBeGreaterThan(0);
      }),
      RUNS,
    );
  });

  it('asks a human before a change a person started (however its input was shaped) of a type the policy lists', () => {
    fc.assert(
      fc.property(world, (w) => {
        const d = decided(w);
        if (d.kind !== 'change') return;
        if (
          w.plan.safety?.startedBy === 'operator' &&
          w.plan.safety.operatorApproval.includes(w.plan.action?.type ?? '')
        )
          expect(d.approvalReasons.length).toBeGreaterThan(0);
      }),
      RUNS,
    );
  });

  it('asks a human before a change that would leave a group with no healthy InService instance', () => {
    fc.assert(
      fc.property(world, (w) => {
        const d = decided(w);
        if (d.kind !== 'change') return;
        const g = w.live.groups.g as LiveGroup;
        const healthyTaken = Object.values(w.live.instances).filter(
          (i) =>
            i.group === 'g' &&
            i.lifecycle === 'InService' &&
            i.health === 'HEALTHY' &&
            targetKeysOf(w.plan.action as Action).includes(`instance:${i.id}`),
        ).length;
        const drained = w.plan.action?.type === 'scale-in' ? (d.disruption.g ?? 0) : healthyTaken;
        if (drained > 0 && g.healthyInService - (w.live.inFlight.g ?? 0) - drained < 1)
          expect(d.approvalReasons.length).toBeGreaterThan(0);
      }),
      RUNS,
    );
  });

  it('never takes the last healthy InService instance of a group without a human, whatever the blast radius allows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom<Action>(
          { type: 'replace-instance', instanceId: 'i-1' },
          {
            type: 'run-automation',
            documentName: 'AWS-RestartEC2Instance',
            parameters: { InstanceId: ['i-1'] },
            useAutomationRole: true,
          },
        ),
        (healthy, others, taking) => {
          const plan: Plan = {
            ...basePlan,
            action: taking,
            approval: { required: false, timeoutSeconds: 3600 },
            safety: {
              bound: {
                targets: ['instance:i-1'],
                attested: ['instance:i-1'],
                documents: ['AWS-RestartEC2Instance'],
                parameterValues: {},
              },
              actOnInsufficientData: false,
              // A radius that never asks: only the floor can.
              blastRadius: { maxInstances: 10, maxPercent: 100 },
              approvedChangeToleranceInstances: 0,
              startedBy: 'ingest',
              operatorApproval: [],
            },
          };
          const live: LiveState = {
            now: NOW,
            paused: false,
            alarm: { state: 'ALARM', changedAt: NOW },
            groups: {
              g: { name: 'g', minSize: 0, maxSize: 10, desired: Math.max(healthy, 1), healthyInService: healthy },
            },
            instances: { 'i-1': { id: 'i-1', found: true, group: 'g', lifecycle: 'InService', health: 'HEALTHY' } },
            inFlight: { g: others },
          };
          const d = decide({ incident: base, plan, live });
          expect(d.kind).toBe('change');
          if (d.kind === 'change') expect(d.approvalReasons.length > 0).toBe(healthy - others - 1 < 1);
        },
      ),
      RUNS,
    );
  });

  it('never makes a change that needs a human without one, nor a change other than the one approved', () => {
    const approval = fc.option(
      fc.record({
        capacity: fc.option(fc.record({ from: fc.integer({ min: 0, max: 80 }), to: fc.integer({ min: 0, max: 80 }) }), {
          nil: undefined,
        }),
        inFlight: fc.record({ g: fc.integer({ min: 0, max: 12 }) }),
        unseen: fc.subarray(['i-1', 'i-2', 'i-3']),
      }),
      { nil: undefined },
    );
    fc.assert(
      fc.property(world, approval, (w, approved) => {
        const d = decided(w);
        const verdict = atCall(d, approved, 0);
        if (verdict.verdict !== 'go') return;
        const reasons = verdict.decision.approvalReasons;
        if (reasons.length === 0) return;
        expect(approved).toBeDefined();
        const seen = approved as ApprovalBasis;
        const now = verdict.decision.basis;
        if (now.capacity) {
          expect(seen.capacity).toBeDefined();
          const wanted = now.capacity.to - now.capacity.from;
          const ok = (seen.capacity?.to ?? 0) - (seen.capacity?.from ?? 0);
          expect(Math.sign(wanted)).toBe(Math.sign(ok));
          expect(Math.abs(wanted)).toBeLessThanOrEqual(Math.abs(ok));
        }
        if ((verdict.decision.disruption.g ?? 0) > 0)
          expect(now.inFlight.g ?? 0).toBeLessThanOrEqual(seen.inFlight.g ?? 0);
        for (const id of now.unseen) expect(seen.unseen).toContain(id);
      }),
      RUNS,
    );
  });
});
