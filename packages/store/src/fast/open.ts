// Picks the fast-state implementation: Redis when a URL is given, otherwise process-local memory.
import type { FastState } from '../types.ts';
import { createMemoryFastState, type MemoryBackend } from './memory.ts';
import { openRedisFastState, type RedisFastStateOptions } from './redis.ts';

export interface FastStateOptions extends Partial<Omit<RedisFastStateOptions, 'url'>> {
  /** redis://... for shared state; without it, in-memory state (single process only). */
  redisUrl?: string;
  /** Memory only: share state with other handles on this backend. */
  memoryBackend?: MemoryBackend;
  /** Memory only: clock for key expiry (default Date.now). */
  now?: () => number;
}

export async function openFastState(options: FastStateOptions = {}): Promise<FastState> {
  const { redisUrl, memoryBackend, now, ...redis } = options;
  if (redisUrl) return await openRedisFastState({ ...redis, url: redisUrl });
  return createMemoryFastState({ backend: memoryBackend, now, onHandlerError: redis.onHandlerError });
}
