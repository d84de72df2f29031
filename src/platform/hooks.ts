/**
 * Extension points, so that a change in one module can start work in another without the first
 * importing the second: dependencies between modules run one way (docs/architecture.md). The upstream
 * module declares a hook and runs it where the change happens, inside the change's transaction; the
 * downstream module's handler is subscribed once, by the composition root (src/modules/index.ts).
 * Handlers run in subscription order; a handler that throws rolls the change back, as a direct call did.
 */
export class Hook<A extends unknown[]> {
  private readonly handlers = new Set<(...args: A) => Promise<void>>();
  constructor(readonly name: string) {}

  /** Adds a handler; subscribing the same function again changes nothing. */
  subscribe(handler: (...args: A) => Promise<void>): void {
    this.handlers.add(handler);
  }

  async run(...args: A): Promise<void> {
    for (const handler of this.handlers) await handler(...args);
  }
}

/**
 * A value the upstream module needs from exactly one downstream module (e.g. the mails and reminders a
 * booking writes in its own statement). Asking before one is provided is a wiring mistake, so it throws
 * rather than silently returning nothing.
 */
export class Provider<A extends unknown[], R> {
  private fn: ((...args: A) => R) | null = null;
  constructor(readonly name: string) {}

  provide(fn: (...args: A) => R): void {
    if (this.fn && this.fn !== fn) throw new Error(`${this.name} is already provided`);
    this.fn = fn;
  }

  get(...args: A): R {
    if (!this.fn) throw new Error(`${this.name} has no provider: src/modules/index.ts wires it`);
    return this.fn(...args);
  }
}
