import { RE2JS } from 're2js';
import type { AlarmInfo, Incident } from '../incident';
import type { KeyMatcher, Match, StringMatcher } from './schema';

// Where a rule is matched against an incident.

function matchesString(matcher: StringMatcher, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (typeof matcher === 'string') return matcher === value;
  if (Array.isArray(matcher)) return matcher.includes(value);
  if ('prefix' in matcher) return value.startsWith(matcher.prefix);
  return compiled(matcher.pattern).matcher(value).find();
}

/** Policy patterns run with RE2: linear time in the value (see schema.ts), compiled once each. */
const patterns = new Map<string, RE2JS>();
function compiled(pattern: string): RE2JS {
  const known = patterns.get(pattern);
  if (known) return known;
  const fresh = RE2JS.compile(pattern);
  patterns.set(pattern, fresh);
  return fresh;
}

function matchesKeys(spec: Record<string, KeyMatcher>, values: Record<string, string>): boolean {
  return Object.entries(spec).every(([key, matcher]) => {
    const value = values[key];
    if (typeof matcher === 'object' && !Array.isArray(matcher) && 'exists' in matcher) {
      return matcher.exists === (value !== undefined);
    }
    return matchesString(matcher, value);
  });
}

/** Every condition a rule states must hold; conditions on an alarm never match an event, and vice versa. */
export function ruleMatches(match: Match, incident: Incident): boolean {
  const alarm: AlarmInfo | undefined = incident.alarm;
  if (match.source !== undefined) {
    const sources = Array.isArray(match.source) ? match.source : [match.source];
    if (!sources.includes(incident.source)) return false;
  }
  const alarmConditions = [match.alarmName, match.namespace, match.metricName, match.dimensions, match.alarmTags];
  if (alarmConditions.some((c) => c !== undefined) && !alarm) return false;
  if (alarm) {
    if (match.alarmName && !matchesString(match.alarmName, alarm.name)) return false;
    if (match.namespace && !matchesString(match.namespace, alarm.namespace)) return false;
    if (match.metricName && !matchesString(match.metricName, alarm.metricName)) return false;
    if (match.dimensions && !matchesKeys(match.dimensions, alarm.dimensions)) return false;
    if (match.alarmTags && !matchesKeys(match.alarmTags, alarm.tags)) return false;
  }
  if (match.event) {
    const event = incident.event;
    if (!event) return false;
    if (match.event.source && !matchesString(match.event.source, event.source)) return false;
    if (match.event.detailType && !matchesString(match.event.detailType, event.detailType)) return false;
    if (match.event.state && !matchesString(match.event.state, event.state)) return false;
  }
  return true;
}
