// npm run simulate -- --seeds 1..50 — the fault sweep: one generated game day per seed (npm start --
// --chaos --seed N, each in a process of its own), with the safety invariants checked after each.
// Prints every violation with the command that reproduces it; exit 1 if any run broke an invariant
// in a way not known (see KNOWN in local/sim/invariants.ts) or did not finish.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { ROOT } from './template';
import type { Violation } from './sim/invariants';

export interface SeedResult {
  seed: number;
  passed: boolean;
  violations: Violation[];
  known: Violation[];
  error?: string;
  wallMs: number;
}

/** "1..50" or "3,17,40" (or a mix). */
export function parseSeeds(spec: string): number[] {
  const seeds = spec.split(',').flatMap((part) => {
    const range = /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(part);
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (to < from) throw new Error(`--seeds ${spec}: ${part} is an empty range`);
      return Array.from({ length: to - from + 1 }, (_, i) => from + i);
    }
    if (!/^\s*\d+\s*$/.test(part)) throw new Error(`--seeds ${spec}: "${part}" is not a seed or a range like 1..50`);
    return [Number(part)];
  });
  return [...new Set(seeds)];
}

function runSeed(seed: number, extra: string[]): Promise<SeedResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        join(ROOT, 'local', 'drill.ts'),
        '--chaos',
        '--json',
        '--seed',
        String(seed),
        ...extra,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      const wallMs = Math.round(performance.now() - started);
      try {
        const report = JSON.parse(stdout) as {
          passed: boolean;
          invariants: { violations: Violation[]; known: Violation[] };
        };
        resolve({
          seed,
          passed: report.passed,
          violations: report.invariants.violations,
          known: report.invariants.known,
          wallMs,
        });
      } catch {
        resolve({
          seed,
          passed: false,
          violations: [],
          known: [],
          error: `exit ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          wallMs,
        });
      }
    });
  });
}

export async function sweep(
  seeds: number[],
  parallel: number,
  extra: string[] = [],
  onResult?: (r: SeedResult) => void,
): Promise<SeedResult[]> {
  const results: SeedResult[] = [];
  const queue = [...seeds];
  await Promise.all(
    Array.from({ length: Math.max(1, parallel) }, async () => {
      for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
        const result = await runSeed(seed, extra);
        results.push(result);
        onResult?.(result);
      }
    }),
  );
  return results.sort((a, b) => a.seed - b.seed);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '1..50' },
      parallel: { type: 'string', default: String(Math.max(1, cpus().length)) },
      bundles: { type: 'string' },
    },
  });
  const seeds = parseSeeds(values.seeds ?? '1..50');
  const extra = values.bundles ? ['--bundles', values.bundles] : [];
  const began = performance.now();
  process.stdout.write(`Sweeping ${seeds.length} seeds (${values.seeds}), ${values.parallel} at a time…\n`);
  const results = await sweep(seeds, Number(values.parallel), extra, (r) => {
    for (const v of r.violations)
      process.stdout.write(
        `seed ${r.seed}: INVARIANT ${v.invariant}: ${v.detail}\n  reproduce: npm start -- --chaos --seed ${r.seed}${values.bundles ? ` --bundles ${values.bundles}` : ''}\n`,
      );
    if (!r.passed && !r.error && r.violations.length === 0)
      process.stdout.write(
        `seed ${r.seed}: did not finish in the simulated deadline\n  reproduce: npm start -- --chaos --seed ${r.seed}\n`,
      );
    if (r.error)
      process.stdout.write(
        `seed ${r.seed}: did not finish (${r.error})\n  reproduce: npm start -- --chaos --seed ${r.seed}\n`,
      );
  });
  const failed = results.filter((r) => !r.passed);
  const counts = new Map<string, number>();
  for (const v of results.flatMap((r) => [...r.violations, ...r.known]))
    counts.set(v.invariant, (counts.get(v.invariant) ?? 0) + 1);
  const known = results.filter((r) => r.known.length > 0).map((r) => r.seed);
  process.stdout.write(
    `${seeds.length} seeds in ${((performance.now() - began) / 1000).toFixed(1)} s: ${seeds.length - failed.length} passed, ${failed.length} failed` +
      `${counts.size ? `; violations by invariant: ${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')}` : '; no invariant broken'}` +
      `${known.length ? `; known (not failing): seeds ${known.join(', ')}` : ''}` +
      `${failed.length ? `\nfailed seeds: ${failed.map((r) => r.seed).join(', ')}` : ''}\n`,
  );
  process.exitCode = failed.length > 0 ? 1 : 0;
}
