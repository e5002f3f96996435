import type { z } from 'zod';
import { topics, type TopicName, type Topics } from '../../shared/api/index.js';

export type TopicPayload<T extends TopicName> = z.input<Topics[T]>;
export type TopicListener = (topic: TopicName, payload: unknown) => void;

/**
 * Push topics (core → renderer). Payloads are validated against the topic's schema before they leave the core, so a
 * transport only forwards what the contract promises. Both transports subscribe with `onAny`.
 */
export class TopicBus {
  private readonly listeners = new Set<TopicListener>();

  publish<T extends TopicName>(topic: T, payload: TopicPayload<T>): void {
    const schema = topics[topic] as z.ZodType | undefined;
    if (!schema) throw new Error(`publish: unknown topic "${topic}" (declare it in src/shared/api)`);
    const parsed = schema.safeParse(payload);
    if (!parsed.success) throw new Error(`publish: payload for "${topic}" does not match its schema: ${parsed.error.message}`);
    for (const listener of this.listeners) {
      try {
        listener(topic, parsed.data);
      } catch {
        // One broken subscriber (a closed window or socket) must not stop the others.
      }
    }
  }

  /** Receives every topic; returns the unsubscribe function. */
  onAny(listener: TopicListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
