import { describe, expect, it } from '@jest/globals';
import { planRemediation } from '../../functions/domain/policy/engine';
import { loadDefaultPolicy } from '../../functions/domain/policy/load';
import { type LiveState, atCall, decide } from '../../functions/domain/safety-kernel';
import { incidentFrom } from '../helpers/incidents';

// Issue 26, second hostile review: rule 4 ("still true?") re-read only an alarm. An incident an
// EC2 "stopped" event reported is now re-checked too: an instance whose Systems Manager agent
// reported in after the event runs again (a person stopped it to resize it and started it), and is
// not replaced. The simulation's invariant event-still-true checks it over the sweep's worlds
// (hostile world stopped-then-started).

const NOW = new Date('2026-11-23T10:20:00.000Z');
const ID = 'i-0abc123def4567890';
const incident = incidentFrom('eventbridge-ec2-stopped');
const plan = planRemediation(incident, loadDefaultPolicy(), { stackDryRun: false, now: NOW });

/** Auto Scaling's view of a stopped instance stays InService/Healthy until its health check notices. */
const liveWith = (agentOnlineAt?: string): LiveState => ({
  now: NOW,
  paused: false,
  groups: { 'web-asg': { name: 'web-asg', minSize: 2, maxSize: 10, desired: 4, healthyInService: 4 } },
  instances: {
    [ID]: {
      id: ID,
      found: true,
      group: 'web-asg',
      lifecycle: 'InService',
      health: 'Healthy',
      ...(agentOnlineAt ? { agentOnlineAt } : {}),
    },
  },
  inFlight: {},
});

describe('an incident an EC2 "stopped" event reported', () => {
  it('is planned as a replacement', () => {
    expect(plan).toMatchObject({ decision: 'act', rule: 'stopped-instance-replace' });
  });

  it('replaces nothing once the instance reported running after the event (NoLongerNeeded)', () => {
    const verdict = atCall(decide({ incident, plan, live: liveWith('2026-11-23T10:17:00.000Z') }), undefined, 0);

    expect(verdict).toMatchObject({
      verdict: 'stop',
      reason: 'NoLongerNeeded',
      why: expect.stringContaining('runs again'),
    });
  });

  it.each([
    ['its agent last reported before the stop', '2026-11-23T10:14:00.000Z'],
    ['it has no Systems Manager agent (nothing says it runs)', undefined],
  ])('replaces it when %s', (_, seen) => {
    expect(atCall(decide({ incident, plan, live: liveWith(seen) }), undefined, 0)).toMatchObject({ verdict: 'go' });
  });
});
