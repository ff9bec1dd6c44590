// A generated game day: from one seed, a mix of the drill's failure scenarios, AWS faults, messy
// deliveries and operator actions. `npm start -- --chaos --seed N` runs one; `npm run simulate`
// sweeps many seeds and checks the safety invariants after each.
import { CORE_FAULTS, HOSTILE_WORLDS, SCENARIOS } from '../scenarios';
import { Random } from './random';

export interface ChaosPlan {
  scenarios: string[];
  faults: string;
  /** How the on-call answers approval requests, and after how long (simulated ms). */
  approvals: { answer: 'approve' | 'reject' | 'never'; afterMs: number };
  /** Chance that a delivery arrives twice in a row (SNS and EventBridge deliver at least once). */
  duplicate: number;
  /** Chance that a delivery arrives again much later, and how much later (simulated ms). */
  redeliver: { chance: number; afterMs: number };
  /** Deliveries of one moment arrive in a shuffled order. */
  shuffle: boolean;
  /** The operator sets the kill switch at `onAtMs` after the start, and clears it at `offAtMs` (if ever). */
  killSwitch?: { onAtMs: number; offAtMs?: number };
  /** Chance that an operator re-runs a finished incident by hand (as docs/operations.md shows). */
  rerun: number;
}

const MUTATING = [
  'AutoScaling.SetDesiredCapacity',
  'AutoScaling.SetInstanceHealth',
  'CodeDeploy.CreateDeployment',
  'SSM.StartAutomationExecution',
];
const MINUTE = 60_000;
const LAMBDA_TIMEOUT_TARGETS = [
  'Lambda.AutoScalingActionFunction',
  'Lambda.DeploymentRollbackFunction',
  'Lambda.AutomationFunction',
  'Lambda.CheckProgressFunction',
  'Lambda.GuardFunction',
  'Lambda.RecordOutcomeFunction',
];

export function chaosPlan(seed: number): ChaosPlan {
  // A generator of its own: the plan does not shift the ids and faults the run draws afterwards.
  const random = new Random(seed * 7919 + 17);
  const pick = <T>(items: readonly T[]): T => items[random.int(0, items.length - 1)] as T;
  const scenarios = CORE_FAULTS.filter((name) => SCENARIOS[name] && random.float() < 0.5);
  if (scenarios.length === 0) scenarios.push(pick(CORE_FAULTS));
  const rules = [
    `*:throttle=${pick([0, 0.1, 0.3])},5xx=${pick([0, 0, 0.05])}`,
    // A task whose mutating call went through but whose answer was lost.
    ...MUTATING.filter(() => random.float() < 0.3).map((operation) => `${operation}:after=${pick([0.3, 0.6])}`),
  ];
  const killOn = random.float() < 0.4 ? random.int(1, 12) * MINUTE : undefined;
  const plan = {
    scenarios,
    faults: rules.join(';'),
    approvals: { answer: pick(['approve', 'approve', 'reject', 'never'] as const), afterMs: pick([1, 5, 45]) * MINUTE },
    duplicate: pick([0, 0.2, 0.5]),
    redeliver: { chance: pick([0, 0.2]), afterMs: random.int(60, 180) * MINUTE },
    shuffle: random.float() < 0.5,
    ...(killOn !== undefined
      ? {
          killSwitch: {
            onAtMs: killOn,
            ...(random.float() < 0.7 ? { offAtMs: killOn + random.int(3, 20) * MINUTE } : {}),
          },
        }
      : {}),
    rerun: pick([0, 0, 0.3]),
  };
  // Drawn last, so the draws above (and the seeds pinned on them) keep their meaning.
  // A function killed at its timeout after its calls went through (Step Functions: Sandbox.Timedout).
  const timeouts = LAMBDA_TIMEOUT_TARGETS.filter(() => random.float() < 0.25).map(
    (target) => `${target}:timeout=${pick([0.2, 0.5])}`,
  );
  // Hostile worlds (local/scenarios.ts HOSTILE_WORLDS), drawn after everything above: groups above
  // the cap or their MaxSize, a whole group stopped, people deploying or changing capacity while an
  // approval waits, an alarm going INSUFFICIENT_DATA, custom-namespace alarms naming managed
  // targets, the budget starved by instances that do not exist, manual changes, hostile text.
  // About one seed in four gets none: the game day as before.
  const hostile =
    random.float() < 0.75
      ? HOSTILE_WORLDS.filter(() => random.float() < 0.3).map((world) =>
          world === 'capacity-changed-during-approval'
            ? pick(['capacity-raised-during-approval', 'capacity-lowered-during-approval'])
            : world,
        )
      : [];
  return {
    ...plan,
    scenarios: [...scenarios, ...hostile.filter((name) => SCENARIOS[name])],
    faults: [plan.faults, ...timeouts].join(';'),
  };
}
