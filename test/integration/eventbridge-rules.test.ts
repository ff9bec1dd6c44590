import { describe, expect, it } from '@jest/globals';
import { matchingRules, routesOf } from '../../local/eventbridge/routes';
import { matchesPattern } from '../../local/eventbridge/pattern';
import { loadTemplate } from '../../local/template';
import { eventFiles, loadEvent } from '../helpers/fixtures';

const routes = routesOf(loadTemplate());

/** Which of template.yaml's EventBridge rules each EventBridge fixture must reach: exactly these. */
const EXPECTED: Record<string, string[]> = {
  'eventbridge-alarm-state-change': ['AlarmStateChange'],
  'eventbridge-alarm-ok': ['AlarmStateChange'],
  'eventbridge-codedeploy-failure': ['DeploymentStateChange'],
  'eventbridge-codedeploy-success': ['DeploymentStateChange'],
  'eventbridge-malformed-detail': ['DeploymentStateChange'],
  'eventbridge-asg-launch-unsuccessful': ['AutoScalingActivity'],
  'eventbridge-asg-terminate-unsuccessful': ['AutoScalingActivity'],
  'eventbridge-asg-launch-successful': ['AutoScalingActivity'],
  'eventbridge-automation-status': ['AutomationStatusChange'],
  'eventbridge-ec2-stopped': ['InstanceStateChange'],
  'eventbridge-ec2-terminated': ['InstanceStateChange'],
  'eventbridge-unusable': [],
};

describe("template.yaml's EventBridge rules", () => {
  it('cover every EventBridge fixture', () => {
    expect(
      eventFiles()
        .filter((f) => f.startsWith('eventbridge-'))
        .map((f) => f.replace('.json', ''))
        .sort(),
    ).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('route %s to %j and to no other rule', (fixture, rules) => {
    expect(matchingRules(routes, loadEvent(fixture)).map((r) => r.eventName)).toEqual(rules);
  });

  it('route only alarms named with the stack prefix, and only their ALARM and OK transitions', () => {
    const event = loadEvent<{ detail: { alarmName: string } }>('eventbridge-alarm-state-change');
    event.detail.alarmName = 'web-cpu-high';

    expect(matchingRules(routes, event)).toEqual([]);
    expect(
      matchingRules(routesOf(loadTemplate(), { EventBridgeAlarmPrefix: 'web-' }), event).map((r) => r.eventName),
    ).toEqual(['AlarmStateChange']);
  });

  it('send no SNS fixture to any EventBridge rule', () => {
    for (const file of eventFiles().filter((f) => f.startsWith('sns-'))) {
      expect([file, matchingRules(routes, loadEvent(file))]).toEqual([file, []]);
    }
  });
});

// The documented examples of each EventBridge comparison operator.
describe('event pattern matcher', () => {
  const event = {
    source: 'aws.ec2',
    'detail-type': 'EC2 Instance State-change Notification',
    resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-0123'],
    detail: {
      state: 'running',
      'instance-id': 'i-0123',
      count: 5,
      tags: ['a', 'b'],
      name: 'Web-Server.EXAMPLE.com',
      nothing: null,
    },
  };

  it.each([
    [{ source: ['aws.ec2'] }, true],
    [{ source: ['aws.s3'] }, false],
    [{ source: ['aws.s3', 'aws.ec2'] }, true],
    [{ detail: { state: [{ prefix: 'run' }] } }, true],
    [{ detail: { name: [{ suffix: '.com' }] } }, true],
    [{ detail: { name: [{ prefix: { 'equals-ignore-case': 'web-server' } }] } }, true],
    [{ detail: { name: [{ 'equals-ignore-case': 'web-server.example.COM' }] } }, true],
    [{ detail: { state: [{ 'anything-but': 'stopped' }] } }, true],
    [{ detail: { state: [{ 'anything-but': ['running', 'stopped'] }] } }, false],
    [{ detail: { state: [{ 'anything-but': { prefix: 'run' } }] } }, false],
    [{ detail: { count: [{ numeric: ['>', 0, '<=', 5] }] } }, true],
    [{ detail: { count: [{ numeric: ['<', 5] }] } }, false],
    [{ detail: { state: [{ exists: true }] } }, true],
    [{ detail: { missing: [{ exists: false }] } }, true],
    [{ detail: { missing: [{ exists: true }] } }, false],
    [{ detail: { tags: ['b'] } }, true],
    [{ detail: { nothing: [null] } }, true],
    [{ detail: { name: [{ wildcard: 'Web-*.com' }] } }, true],
    [{ resources: [{ prefix: 'arn:aws:ec2:' }] }, true],
    [{ detail: { $or: [{ state: ['stopped'] }, { count: [{ numeric: ['=', 5] }] }] } }, true],
    [{ detail: { $or: [{ state: ['stopped'] }, { count: [{ numeric: ['=', 6] }] }] } }, false],
    [{ detail: { state: { nested: ['x'] } } }, false],
  ])('%j → %s', (pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });
});
