import { describe, expect, it } from 'vitest';
/** The web UI's pure parts, under Node: the event-stream parser, display helpers, tree, filter, rollback words. */
import { matches } from '../../web/src/filter.ts';
import { age, remaining, shortSha } from '../../web/src/format.ts';
import { rollbackConsequences } from '../../web/src/rollback.ts';
import { SseParser } from '../../web/src/sse.ts';
import { buildTree } from '../../web/src/tree.ts';
import { SHA, guestbookHistory, guestbookTree, newAppSummary } from '../support/ui-fixtures.ts';

describe('SseParser', () => {
  it.each([
    { name: 'one event', chunks: ['id: 1\nevent: app\ndata: {"a":1}\n\n'], want: [{ id: '1', event: 'app', data: '{"a":1}' }] },
    { name: 'no event name is "message"', chunks: ['data: x\n\n'], want: [{ id: '', event: 'message', data: 'x' }] },
    { name: 'data lines join with LF', chunks: ['data: a\ndata: b\n\n'], want: [{ id: '', event: 'message', data: 'a\nb' }] },
    { name: 'CRLF and CR line ends', chunks: ['event: e\r\ndata: a\rdata: b\r\n\r\n'], want: [{ id: '', event: 'e', data: 'a\nb' }] },
    { name: 'CRLF split across chunks', chunks: ['data: a\r', '\n\r', '\n'], want: [{ id: '', event: 'message', data: 'a' }] },
    { name: 'event split mid-line', chunks: ['ev', 'ent: app\nda', 'ta: {}\n', '\n'], want: [{ id: '', event: 'app', data: '{}' }] },
    { name: 'comments are ignored', chunks: [': keep-alive\n\ndata: x\n\n'], want: [{ id: '', event: 'message', data: 'x' }] },
    { name: 'an event without data is dropped', chunks: ['event: ping\n\n'], want: [] },
    { name: 'the id persists to later events', chunks: ['id: 7\ndata: a\n\ndata: b\n\n'], want: [{ id: '7', event: 'message', data: 'a' }, { id: '7', event: 'message', data: 'b' }] },
    { name: 'only one leading space is stripped', chunks: ['data:  two\n\ndata:none\n\n'], want: [{ id: '', event: 'message', data: ' two' }, { id: '', event: 'message', data: 'none' }] },
    { name: 'an unfinished event waits', chunks: ['data: a\n'], want: [] },
  ])('$name', ({ chunks, want }) => {
    const parser = new SseParser();
    expect(chunks.flatMap((c) => parser.feed(c))).toEqual(want);
  });

  it('reads retry:', () => {
    const parser = new SseParser();
    parser.feed('retry: 3000\n\n');
    expect(parser.retryMs).toBe(3000);
  });
});

describe('format', () => {
  const now = Date.parse('2026-01-02T03:04:05Z');
  it.each([
    ['2026-01-02T03:04:00Z', '5s'],
    ['2026-01-02T02:54:05Z', '10m'],
    ['2026-01-01T03:04:05Z', '24h'],
    ['2025-12-20T03:04:05Z', '13d'],
  ])('age of %s is %s', (time, want) => expect(age(time, now)).toBe(want));
  it('remaining counts down and ends', () => {
    expect(remaining('2026-01-02T03:05:47Z', now)).toBe('1:42');
    expect(remaining('2026-01-02T03:04:05Z', now)).toBeUndefined();
  });
  it('shortens revisions to 7 characters', () => expect(shortSha('0123456789abcdef')).toBe('0123456'));
});

describe('buildTree', () => {
  it('nests owned objects under their owners, sorted by kind then name; orphans become roots', () => {
    const nodes = guestbookTree();
    const orphan = { ...nodes[6]!, key: 'Pod/guestbook/stray', name: 'stray', parent: 'apps/ReplicaSet/guestbook/gone' };
    const roots = buildTree([...nodes, orphan]);
    expect(roots.map((r) => `${r.node.kind}/${r.node.name}`)).toEqual(['ConfigMap/web-config', 'Deployment/web', 'Pod/stray', 'Secret/web-credentials', 'Service/web']);
    const deployment = roots[1]!;
    expect(deployment.children.map((c) => c.node.name)).toEqual(['web-5f6d7c8b9', 'web-7d9c8b6f5']);
    expect(deployment.children[1]!.children).toHaveLength(6);
  });
});

describe('matches', () => {
  const app = newAppSummary('Payments-API', { sync: 'OutOfSync', health: 'Degraded' });
  it.each([
    [{ sync: '', health: '', search: '' }, true],
    [{ sync: 'OutOfSync', health: '', search: '' }, true],
    [{ sync: 'Synced', health: '', search: '' }, false],
    [{ sync: '', health: 'Degraded', search: 'payments' }, true],
    [{ sync: '', health: 'Healthy', search: '' }, false],
    [{ sync: '', health: '', search: 'web' }, false],
  ] as const)('%j → %s', (filter, want) => expect(matches(app, filter)).toBe(want));
});

describe('rollbackConsequences', () => {
  const [, older] = guestbookHistory();
  it('says the app is pinned and auto-sync stays on', () => {
    const lines = rollbackConsequences(newAppSummary('web'), older!);
    expect(lines).toEqual([
      `Sluice syncs web to ${SHA.old.slice(0, 7)} now, every object of the app, and pins the app to ${SHA.old.slice(0, 7)}.`,
      `Auto-sync stays on, but it will not move web off ${SHA.old.slice(0, 7)} until a newer commit lands in Git or you unpin it.`,
    ]);
  });
  it('names an existing pin it replaces, auto-sync off, and a bad revision', () => {
    const app = newAppSummary('web', { autoSync: false, pinned: { revision: SHA.next, since: '2026-01-01T00:00:00Z' }, badRevisions: [SHA.old] });
    const lines = rollbackConsequences(app, older!);
    expect(lines.slice(1)).toEqual([
      `Auto-sync is off for web and stays off; the pin keeps ${SHA.old.slice(0, 7)} until you unpin it.`,
      `This replaces the current pin to ${SHA.next.slice(0, 7)}.`,
      `${SHA.old.slice(0, 7)} is marked as a bad revision: it failed before.`,
    ]);
  });
});
