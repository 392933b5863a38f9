import { describe, expect, it } from 'vitest';
import { supersedes, type SyncProgress } from '../../src/controller/sync-progress.ts';
import type { SyncRequest } from '../../src/queue/types.ts';

const progress: SyncProgress = { id: '7', operation: 'app:7', revision: 'a'.repeat(40), trigger: 'webhook', holds: [], paced: [] };

describe('which request replaces a sync in progress', () => {
  it.each<{ name: string; request: Omit<SyncRequest, 'requestedAt'>; want: boolean }>([
    { name: 'a poll waits for it', request: { trigger: 'poll' }, want: false },
    { name: 'a self-heal waits for it', request: { trigger: 'self-heal' }, want: false },
    { name: 'a manual sync of no particular revision carries it on', request: { trigger: 'manual' }, want: false },
    { name: 'a webhook of the same commit carries it on', request: { trigger: 'webhook', revision: 'a'.repeat(40) }, want: false },
    { name: 'a webhook of a newer commit replaces it', request: { trigger: 'webhook', revision: 'b'.repeat(40) }, want: true },
    { name: 'a manual sync of another revision replaces it', request: { trigger: 'manual', revision: 'v2' }, want: true },
    { name: 'a rollback replaces it', request: { trigger: 'rollback', revision: 'a'.repeat(40) }, want: true },
  ])('$name', ({ request, want }) => {
    expect(supersedes({ ...request, requestedAt: 0 }, progress)).toBe(want);
  });
});
