// One seeded generator for everything random in a simulation (faults, ids, jitter), so a run is
// reproduced exactly from its seed. Hand-written: Mulberry32 is a few lines, and the registry's
// seeded generators are either unmaintained or far larger than this.

/** Mulberry32: a small seeded generator of numbers in [0, 1). */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Random {
  private next: () => number;
  constructor(readonly seed: number) {
    this.next = seeded(seed);
  }

  /** [0, 1) */
  float(): number {
    return this.next();
  }

  /** A whole number in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A version-4-shaped UUID from this generator (ids in events and replies). */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => Math.floor(this.next() * 16).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[Math.floor(this.next() * 4)] ?? '8'}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

/**
 * The process's simulation generator: the drill, storm and sweep reseed it with the run's seed;
 * until then it is seeded with 42.
 */
let current = new Random(42);
export const simulationRandom = (): Random => current;
export function reseed(seed: number): Random {
  current = new Random(seed);
  return current;
}
