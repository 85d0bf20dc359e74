// How long to keep retrying a broker that does not answer, and how long to wait between tries.
// One budget per loop (the fetch loop, a group join): every failure asks it what to do next; the
// first success resets it. Past `giveUpAfterMs` of failures without a success in between, the
// caller stops with an error that says so, instead of retrying forever.

export interface RetryBudgetOptions {
  /** keep retrying for this long after the first failure of a run of failures */
  giveUpAfterMs: number;
  /** first wait (default 200 ms); doubles with each failure */
  initialDelayMs?: number;
  /** longest wait (default 5 s) */
  maxDelayMs?: number;
  /** clock (tests) */
  now?: () => number;
}

export type RetryDecision = { retry: true; delayMs: number; failures: number; failingForMs: number } | { retry: false; failures: number; failingForMs: number };

export class RetryBudget {
  readonly giveUpAfterMs: number;
  readonly #initial: number;
  readonly #max: number;
  readonly #now: () => number;
  #failures = 0;
  #firstFailureAt: number | undefined;

  constructor(options: RetryBudgetOptions) {
    if (!(options.giveUpAfterMs >= 0)) throw new Error(`retry budget: giveUpAfterMs must be >= 0, got ${options.giveUpAfterMs}`);
    this.giveUpAfterMs = options.giveUpAfterMs;
    this.#initial = options.initialDelayMs ?? 200;
    this.#max = options.maxDelayMs ?? 5000;
    this.#now = options.now ?? Date.now;
  }

  /** failures since the last success */
  get failures(): number {
    return this.#failures;
  }

  /** ms since the first failure of the current run of failures (0 when none) */
  failingFor(): number {
    return this.#firstFailureAt === undefined ? 0 : this.#now() - this.#firstFailureAt;
  }

  /** records a failure; says whether to retry and after how long (never past the budget's end) */
  failed(): RetryDecision {
    const now = this.#now();
    this.#firstFailureAt ??= now;
    this.#failures++;
    const failingForMs = now - this.#firstFailureAt;
    const left = this.giveUpAfterMs - failingForMs;
    if (left <= 0) return { retry: false, failures: this.#failures, failingForMs };
    const exp = this.#initial * 2 ** Math.min(this.#failures - 1, 30);
    const delayMs = Math.max(0, Math.min(exp, this.#max, left));
    return { retry: true, delayMs, failures: this.#failures, failingForMs };
  }

  /** a success: the next failure starts a new run with the first delay */
  succeeded(): void {
    this.#failures = 0;
    this.#firstFailureAt = undefined;
  }
}
