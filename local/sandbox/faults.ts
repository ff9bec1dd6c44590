import { createHash } from 'node:crypto';
import { seeded } from '../sim/random';
// Fault injection per operation. Spec: rules separated by ";", each "<target>:<setting>,<setting>…"
// where target is "*", "Service.*" or "Service.Operation", and settings are
//   throttle=0.3   throttle 30 % of calls          5xx=0.1      answer 10 % with a 500
//   latency=50     add 50 ms to every call         first=2      fail the first 2 calls…
//   fail=throttle|5xx|busy|after   …with this (default throttle; busy: Auto Scaling's
//                            ScalingActivityInProgress, as AWS answers while an activity runs;
//                            after: the call is made, then answered 500, as when a reply is lost)
//   after=0.2    answer 20 % of calls 500 after making them
//   timeout=0.1  (targets "Lambda.<FunctionLogicalId>", "Lambda.*" or "*") 10 % of the function's
//                invocations run to their end and then time out, as a function killed at its
//                deadline after its calls went through; Step Functions sees Sandbox.Timedout
// e.g. "AutoScaling.SetDesiredCapacity:first=2;*:throttle=0.3,latency=5"

export interface FaultRule {
  target: string;
  throttle: number;
  serverError: number;
  latencyMs: number;
  failFirst: number;
  failWith: 'throttle' | '5xx' | 'busy' | 'after' | 'timeout';
  lostReply: number;
  timeout: number;
}

export interface Fault {
  kind: 'throttle' | '5xx' | 'busy' | 'after';
  scripted: boolean;
}

export function parseFaults(spec: string | undefined): FaultRule[] {
  if (!spec?.trim()) return [];
  return spec
    .split(';')
    .filter((s) => s.trim())
    .map((entry) => {
      const colon = entry.indexOf(':');
      if (colon < 1) throw new Error(`Fault "${entry}": expected <target>:<settings>`);
      const rule: FaultRule = {
        target: entry.slice(0, colon).trim(),
        throttle: 0,
        serverError: 0,
        latencyMs: 0,
        failFirst: 0,
        failWith: 'throttle',
        lostReply: 0,
        timeout: 0,
      };
      for (const setting of entry.slice(colon + 1).split(',')) {
        const [key = '', raw = ''] = setting.split('=').map((s) => s.trim());
        const number = Number(raw);
        const rate = () => {
          if (!(number >= 0 && number <= 1)) throw new Error(`Fault "${entry}": ${key} must be a rate from 0 to 1`);
          return number;
        };
        const count = () => {
          if (!Number.isInteger(number) || number < 0)
            throw new Error(`Fault "${entry}": ${key} must be a whole number`);
          return number;
        };
        if (key === 'throttle') rule.throttle = rate();
        else if (key === '5xx') rule.serverError = rate();
        else if (key === 'latency') rule.latencyMs = count();
        else if (key === 'first') rule.failFirst = count();
        else if (
          key === 'fail' &&
          (raw === 'throttle' || raw === '5xx' || raw === 'busy' || raw === 'after' || raw === 'timeout')
        )
          rule.failWith = raw;
        else if (key === 'after') rule.lostReply = rate();
        else if (key === 'timeout') rule.timeout = rate();
        else throw new Error(`Fault "${entry}": unknown setting "${setting.trim()}"`);
      }
      return rule;
    });
}

export class FaultInjector {
  private readonly random: () => number;
  private readonly seen = new Map<FaultRule, number>();

  constructor(
    private rules: FaultRule[] = [],
    private readonly seed = 42,
  ) {
    this.random = seeded(seed);
  }

  set(rules: FaultRule[]): void {
    this.rules = rules;
    this.seen.clear();
  }

  private matching(operation: string): FaultRule[] {
    const service = operation.split('.')[0];
    return this.rules.filter((r) => r.target === '*' || r.target === operation || r.target === `${service}.*`);
  }

  latency(operation: string): number {
    return this.matching(operation).reduce((sum, r) => sum + r.latencyMs, 0);
  }

  /**
   * The fault to answer this call with, if any. With a `request` key (its turn, operation,
   * parameters and occurrence), the random draws are a function of the seed and that key, so they
   * do not depend on the order in which concurrent calls arrive; without, they follow arrival order.
   */
  decide(operation: string, request?: string): Fault | undefined {
    const draw = this.drawFor(request);
    for (const [index, rule] of this.matching(operation).entries()) {
      if (rule.failWith === 'timeout') continue; // a Lambda rule: see timesOut
      const count = (this.seen.get(rule) ?? 0) + 1;
      this.seen.set(rule, count);
      if (count <= rule.failFirst) return { kind: rule.failWith, scripted: true };
      if (rule.throttle > 0 && draw(index, 'throttle') < rule.throttle) return { kind: 'throttle', scripted: false };
      if (rule.serverError > 0 && draw(index, '5xx') < rule.serverError) return { kind: '5xx', scripted: false };
      if (rule.lostReply > 0 && draw(index, 'after') < rule.lostReply) return { kind: 'after', scripted: false };
    }
    return undefined;
  }

  /** Whether this invocation of a function times out (after it ran: its calls went through). */
  timesOut(functionLogicalId: string, request?: string): boolean {
    const draw = this.drawFor(request);
    for (const [index, rule] of this.matching(`Lambda.${functionLogicalId}`).entries()) {
      if (rule.failWith === 'timeout' && rule.failFirst > 0) {
        const count = (this.seen.get(rule) ?? 0) + 1;
        this.seen.set(rule, count);
        if (count <= rule.failFirst) return true;
      }
      if (rule.timeout > 0 && draw(index, 'timeout') < rule.timeout) return true;
    }
    return false;
  }

  private drawFor(request: string | undefined): (rule: number, what: string) => number {
    return (rule, what) =>
      request === undefined
        ? this.random()
        : createHash('sha256').update(`${this.seed}|${request}|${rule}|${what}`).digest().readUInt32BE(0) / 4294967296;
  }
}
