// Fault injection per operation. Spec: rules separated by ";", each "<target>:<setting>,<setting>…"
// where target is "*", "Service.*" or "Service.Operation", and settings are
//   throttle=0.3   throttle 30 % of calls          5xx=0.1      answer 10 % with a 500
//   latency=50     add 50 ms to every call         first=2      fail the first 2 calls…
//   fail=throttle|5xx|busy   …with this (default throttle; busy: Auto Scaling's
//                            ScalingActivityInProgress, as AWS answers while an activity runs)
// e.g. "AutoScaling.SetDesiredCapacity:first=2;*:throttle=0.3,latency=5"

export interface FaultRule {
  target: string;
  throttle: number;
  serverError: number;
  latencyMs: number;
  failFirst: number;
  failWith: 'throttle' | '5xx' | 'busy';
}

export interface Fault {
  kind: 'throttle' | '5xx' | 'busy';
  scripted: boolean;
}

export function parseFaults(spec: string | undefined): FaultRule[] {
  if (!spec?.trim()) return [];
  return spec.split(';').filter((s) => s.trim()).map((entry) => {
    const colon = entry.indexOf(':');
    if (colon < 1) throw new Error(`Fault "${entry}": expected <target>:<settings>`);
    const rule: FaultRule = { target: entry.slice(0, colon).trim(), throttle: 0, serverError: 0, latencyMs: 0, failFirst: 0, failWith: 'throttle' };
    for (const setting of entry.slice(colon + 1).split(',')) {
      const [key = '', raw = ''] = setting.split('=').map((s) => s.trim());
      const number = Number(raw);
      const rate = () => {
        if (!(number >= 0 && number <= 1)) throw new Error(`Fault "${entry}": ${key} must be a rate from 0 to 1`);
        return number;
      };
      const count = () => {
        if (!Number.isInteger(number) || number < 0) throw new Error(`Fault "${entry}": ${key} must be a whole number`);
        return number;
      };
      if (key === 'throttle') rule.throttle = rate();
      else if (key === '5xx') rule.serverError = rate();
      else if (key === 'latency') rule.latencyMs = count();
      else if (key === 'first') rule.failFirst = count();
      else if (key === 'fail' && (raw === 'throttle' || raw === '5xx' || raw === 'busy')) rule.failWith = raw;
      else throw new Error(`Fault "${entry}": unknown setting "${setting.trim()}"`);
    }
    return rule;
  });
}

/** Mulberry32: a small seeded generator, so a fault run can be replayed exactly. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private readonly random: () => number;
  private readonly seen = new Map<FaultRule, number>();

  constructor(private rules: FaultRule[] = [], seed = 42) {
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

  /** The fault to answer this call with, if any. */
  decide(operation: string): Fault | undefined {
    for (const rule of this.matching(operation)) {
      const count = (this.seen.get(rule) ?? 0) + 1;
      this.seen.set(rule, count);
      if (count <= rule.failFirst) return { kind: rule.failWith, scripted: true };
      if (rule.throttle > 0 && this.random() < rule.throttle) return { kind: 'throttle', scripted: false };
      if (rule.serverError > 0 && this.random() < rule.serverError) return { kind: '5xx', scripted: false };
    }
    return undefined;
  }
}
