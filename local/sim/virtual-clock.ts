// Virtual time for the local runtime, in the way of deterministic simulation (FoundationDB's
// simulator, TigerBeetle's VOPR): the sandbox, the fleet, the workflow's Wait states, the handlers'
// clock and the harness's timers all read one clock, which moves only when nothing is runnable, and
// then jumps to the next timer. Work runs one piece at a time, chosen by a stable key, so the same
// seed gives the same calls in the same order at any machine load, and simulated hours take the
// milliseconds their work takes.
//
// A "process" is anything that runs: the harness, an execution of the state machine. A process
// stops running while it sleeps (sleep), waits for its turn to invoke a handler (turn), or waits for
// another process (waitFor). Hand-written: the registry's fake timers (@sinonjs/fake-timers) advance
// when told to, not when a program of many async processes is idle, and they would also freeze the
// real timers that I/O with the sandbox and DynamoDB needs.

import type { Clock } from '../sandbox/fleet';

/** Where simulated time starts: fixed, so a seed replays byte for byte whatever the date. */
export const SIMULATION_START = Date.parse('2026-03-02T09:00:00.000Z');

interface Pending {
  key: string;
  seq: number;
  /** Virtual time it is due (turns are due now). */
  at: number;
  start: () => void;
}

const compare = (a: Pending, b: Pending) =>
  a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || a.seq - b.seq;

export class VirtualClock implements Clock {
  private current: number;
  private running = 0;
  private seq = 0;
  private checking = false;
  private stopped = false;
  private readonly turns: Pending[] = [];
  private readonly timers: Pending[] = [];
  /** A handler invocation holds its turn: nothing else can happen in simulated time meanwhile. */
  private turnHeld = false;
  private grants = 0;
  private currentKey = '';

  constructor(start: number) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Event-log timestamps already are virtual (Date reads this clock while it is installed). */
  at(timestamp: number): number {
    return timestamp;
  }

  /** A process starts running. */
  enter(): void {
    this.running += 1;
  }

  /** A process stops running (it ended, or it waits); when none runs, the next piece of work starts. */
  leave(): void {
    this.turnHeld = false;
    this.running -= 1;
    // After stop() the processes still unwinding (an execution cut off mid-wait) may leave freely.
    if (this.running < 0 && !this.stopped) throw new Error('VirtualClock: leave() without enter()');
    this.schedule();
  }

  /** The calling process sleeps `ms` of virtual time. */
  sleep(ms: number, key: string): Promise<void> {
    return new Promise<void>((resolve) => {
      this.timers.push({ key, seq: this.seq++, at: this.current + Math.max(0, ms), start: resolve });
      this.leave();
    });
  }

  /** The calling process waits for its turn (now, in key order) to run alone, e.g. to invoke a handler. */
  turn(key: string): Promise<void> {
    return new Promise<void>((resolve) => {
      this.turns.push({ key, seq: this.seq++, at: this.current, start: resolve });
      this.leave();
    });
  }

  /** The calling process waits for something another process settles (an approval's answer). */
  async waitFor<T>(promise: Promise<T>): Promise<T> {
    this.leave();
    try {
      return await promise;
    } finally {
      this.enter();
    }
  }

  /** Runs `fn` as a process of its own in `ms` of virtual time, unless cancelled first. */
  timer(ms: number, key: string, fn: () => unknown): () => void {
    let cancelled = false;
    const entry: Pending = {
      key,
      seq: this.seq++,
      at: this.current + Math.max(0, ms),
      start: () => {
        if (cancelled) return this.leave();
        void Promise.resolve()
          .then(fn)
          .finally(() => this.leave());
      },
    };
    this.timers.push(entry);
    return () => {
      cancelled = true;
      const index = this.timers.indexOf(entry);
      if (index >= 0) this.timers.splice(index, 1);
    };
  }

  /** Ends the simulation: nothing further starts (pending sleepers never wake). */
  stop(): void {
    this.stopped = true;
    this.turns.length = 0;
    this.timers.length = 0;
  }

  private schedule(): void {
    if (this.running > 0 || this.checking || this.stopped) return;
    this.checking = true;
    // After the microtasks of whoever just stopped: what they started has had its chance to run.
    setImmediate(() => {
      this.checking = false;
      this.step();
    });
  }

  private step(): void {
    if (this.running > 0 || this.stopped) return;
    const queue = this.turns.length > 0 ? this.turns : this.timers;
    if (queue.length === 0) return;
    const granting = queue === this.turns;
    queue.sort(compare);
    const next = queue.shift() as Pending;
    this.current = Math.max(this.current, next.at);
    this.running += 1;
    this.turnHeld = granting;
    this.grants += 1;
    this.currentKey = next.key;
    next.start();
  }

  /**
   * While a handler holds its turn no simulated time passes, so its real waits (the SDK's retry
   * backoff) change nothing but wall time.
   */
  /** How many pieces of work have started: names the current one (stable for a seed). */
  get epoch(): number {
    return this.grants;
  }

  /** The key of the work that started last (`<execution>|<state>` for a handler's turn). */
  get actor(): string {
    return this.currentKey;
  }

  get compressesRealWaits(): boolean {
    return this.turnHeld;
  }
}

/** The real Date, for the code that must measure wall time (benchmarks, reaction time). */
const RealDate = Date;
export const realNow = (): number => RealDate.now();
const realSetTimeout = globalThis.setTimeout;

/**
 * Makes `Date` read the virtual clock in this process (new Date(), Date.now()), as the functions
 * would read the system clock on Lambda: their code, Powertools' parameter cache and the SDK see
 * simulated time; and shortens the real waits a handler makes during its turn (at most 1 ms).
 * Returns the function that puts the real Date and setTimeout back.
 */
export function installVirtualTime(clock: VirtualClock): () => void {
  // Real timers set during the simulation, cleared when it ends: an execution cut off mid-wait would
  // otherwise keep its engine's real task-timeout timer, and the process, alive.
  const started = new Set<ReturnType<typeof setTimeout>>();
  const compressed = ((handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = realSetTimeout(
      (...given: unknown[]) => {
        started.delete(timer);
        handler(...given);
      },
      clock.compressesRealWaits ? Math.min(ms ?? 0, 1) : ms,
      ...args,
    );
    started.add(timer);
    return timer;
  }) as typeof setTimeout;
  globalThis.setTimeout = Object.assign(compressed, realSetTimeout);
  const restoreDate = installVirtualDate(clock);
  return () => {
    globalThis.setTimeout = realSetTimeout;
    for (const timer of started) clearTimeout(timer);
    restoreDate();
  };
}

function installVirtualDate(clock: { now(): number }): () => void {
  class VirtualDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(clock.now());
      else super(...(args as [string]));
    }
    static override now(): number {
      return clock.now();
    }
  }
  globalThis.Date = VirtualDate as DateConstructor;
  return () => {
    globalThis.Date = RealDate;
  };
}
