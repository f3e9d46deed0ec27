/** States of the {@link CircuitBreaker}. */
export const CIRCUIT_STATES = ['closed', 'open', 'half-open'] as const;
/** Union of circuit states. */
export type CircuitState = (typeof CIRCUIT_STATES)[number];

/**
 * Stops sending commands to a Redis that keeps failing, so callers go straight to their loaders instead of
 * each waiting out a command timeout. After `failureThreshold` consecutive connection failures or timeouts
 * it opens; after `resetMillis` it lets one probe through (half-open); the probe's outcome closes or
 * re-opens it. Redis reply errors (WRONGTYPE, NOSCRIPT…) prove Redis is up and do not count.
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #resetMillis: number;
  readonly #onChange: (state: CircuitState) => void;
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probing = false;

  constructor(failureThreshold: number, resetMillis: number, onChange: (state: CircuitState) => void) {
    this.#threshold = failureThreshold;
    this.#resetMillis = resetMillis;
    this.#onChange = onChange;
  }

  /** Current state. */
  get state(): CircuitState {
    return this.#state;
  }

  /** Whether a command may be sent now. In half-open state only one probe is allowed at a time. */
  allow(now: number): boolean {
    if (this.#state === 'closed') return true;
    if (this.#state === 'open') {
      if (now - this.#openedAt < this.#resetMillis) return false;
      this.#set('half-open');
    }
    if (this.#probing) return false;
    this.#probing = true;
    return true;
  }

  /** Records a successful command. */
  success(): void {
    this.#failures = 0;
    this.#probing = false;
    if (this.#state !== 'closed') this.#set('closed');
  }

  /** Records a failed command (connection error or timeout). */
  failure(now: number): void {
    this.#probing = false;
    this.#failures++;
    if (this.#state === 'half-open' || (this.#state === 'closed' && this.#failures >= this.#threshold)) {
      this.#openedAt = now;
      this.#set('open');
    }
  }

  #set(state: CircuitState): void {
    this.#state = state;
    this.#onChange(state);
  }
}
