import { describe, expect, it } from 'vitest';
import { child, pathSegments, suggestion } from '../../src/app/fields.ts';
import { parseApplicationsText } from '../../src/app/load.ts';

describe('JSON paths', () => {
  it.each([
    [['spec', 'syncPolicy', 'syncOptions', 1], 'spec.syncPolicy.syncOptions[1]'],
    [['items', 0, 'spec'], 'items[0].spec'],
    [['spec', 'a.b/c'], 'spec["a.b/c"]'],
    [['spec', 'with space', 2, 'x'], 'spec["with space"][2].x'],
    [['apiVersion'], 'apiVersion'],
  ] as const)('%j ↔ %s', (segments, path) => {
    expect(segments.reduce<string>((p, s) => child(p, s), '')).toBe(path);
    expect(pathSegments(path)).toEqual(segments);
  });

  it('locates an unknown key with dots in it', () => {
    const r = parseApplicationsText('a.yaml', 'apiVersion: sluice.dev/v1alpha1\nkind: Application\nmetadata: { name: a }\nspec:\n  source: { repoURL: "https://h/r.git" }\n  destination: { namespace: x }\n  sync.policy: {}\n');
    expect(!r.ok && r.errors.map((e) => [e.line, e.path])).toEqual([[7, 'spec["sync.policy"]']]);
  });
});

describe('suggestion', () => {
  it.each([
    ['sourc', ['source', 'destination'], ' (did you mean "source"?)'],
    ['Source', ['source', 'destination'], ' (did you mean "source"?)'],
    ['destinaton', ['source', 'destination'], ' (did you mean "destination"?)'],
    ['project', ['source', 'destination'], ''],
    ['x', ['source'], ''],
  ])('%s', (name, known, want) => {
    expect(suggestion(name, known)).toBe(want);
  });
});
