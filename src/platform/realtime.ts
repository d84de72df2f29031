import { EventEmitter } from 'node:events';

export interface RealtimeEvent {
  type: string;
  [key: string]: unknown;
}

/** Delivers an event to every connection of the given users, on whichever instance they are. */
export interface RealtimeBus {
  publish(userIds: string[], event: RealtimeEvent): Promise<void>;
  /** Local delivery hook: the WebSocket hub listens here for events addressed to its users. */
  onEvent(listener: (userIds: string[], event: RealtimeEvent) => void): () => void;
  close(): Promise<void>;
}

/** One process (embedded engine): events go straight to local listeners. */
export class InProcessBus implements RealtimeBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  async publish(userIds: string[], event: RealtimeEvent): Promise<void> {
    this.emitter.emit('event', userIds, event);
  }
  onEvent(listener: (userIds: string[], event: RealtimeEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

/** The bus for this engine. The embedded engine is one process, so in-process delivery is complete. */
export async function createBus(_database: unknown, _log: unknown): Promise<RealtimeBus> {
  return new InProcessBus();
}
