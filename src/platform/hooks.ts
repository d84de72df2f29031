/**
 * Extension points, so that a change in one module can start work in another without the first
 * importing the second: dependencies between modules run one way (docs/architecture.md). The upstream
 * module declares its hooks (a factory it registers in HookRegistry) and runs them where the change
 * happens, inside the change's transaction, through the platform object (`p.hooks.<module>.<hook>`).
 * buildApp creates them for its platform and the composition root (src/modules/index.ts) subscribes the
 * downstream handlers there, so whoever holds a platform holds wired hooks: there is no module-level
 * hook for a script to reach unwired. Handlers run in subscription order; a handler that throws rolls
 * the change back, as a direct call did.
 */
export class Hook<A extends unknown[]> {
  private readonly handlers = new Set<(...args: A) => Promise<void>>();
  constructor(readonly name: string) {}

  /** Adds a handler; subscribing the same function again changes nothing. */
  subscribe(handler: (...args: A) => Promise<void>): void {
    this.handlers.add(handler);
  }

  get subscribers(): number {
    return this.handlers.size;
  }

  /** Runs every handler. A hook nobody subscribed to is a wiring mistake (the work would silently not happen): it throws. */
  async run(...args: A): Promise<void> {
    if (!this.handlers.size) throw new Error(`${this.name} has no subscriber: src/modules/index.ts wires it`);
    for (const handler of this.handlers) await handler(...args);
  }
}

/**
 * What the upstream module needs from exactly one downstream module (e.g. the mails and reminders a
 * booking writes in its own statement). Asking before one is provided is a wiring mistake, so it throws
 * rather than silently returning nothing.
 */
export class Provider<T> {
  private value: T | null = null;
  constructor(readonly name: string) {}

  provide(value: T): void {
    if (this.value && this.value !== value) throw new Error(`${this.name} is already provided`);
    this.value = value;
  }

  get provided(): boolean {
    return this.value !== null;
  }

  get(): T {
    if (!this.value) throw new Error(`${this.name} has no provider: src/modules/index.ts wires it`);
    return this.value;
  }
}

/**
 * Every module's hooks, by module name: each module that declares hooks adds its entry by declaration
 * merging (as RealtimeRegistry collects the frames), so `p.hooks.appointments.timeFreed` is typed while
 * the platform imports no module.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by declaration merging
export interface HookRegistry {}

/**
 * Throws unless every hook of the registry has a subscriber and every provider a value: buildApp checks
 * its wiring before it serves a request, so a missing subscription fails at start, not at the first cancel.
 */
export function assertWired(hooks: HookRegistry): void {
  const unwired: string[] = [];
  for (const group of Object.values(hooks) as Record<string, unknown>[]) {
    for (const h of Object.values(group)) {
      if (h instanceof Hook && h.subscribers === 0) unwired.push(h.name);
      if (h instanceof Provider && !h.provided) unwired.push(h.name);
    }
  }
  if (unwired.length) throw new Error(`hooks without a subscriber or provider: ${unwired.join(', ')} (src/modules/index.ts wires them)`);
}
