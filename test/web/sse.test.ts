import { describe, expect, it } from 'vitest';
import { age, remaining, shortSha } from '../../web/src/format.ts';
import { SseParser } from '../../web/src/sse.ts';

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
