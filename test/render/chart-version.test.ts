/** Helm's version constraints (Masterminds semver v3 as documented in its README), table-driven. */
import { describe, expect, it } from 'vitest';
import { parseChartVersion, parseConstraint, pickVersion } from '../../src/render/chart-version.ts';

function matches(constraint: string, version: string): boolean {
  const c = parseConstraint(constraint);
  const v = parseChartVersion(version);
  if (!c.ok || v === undefined) throw new Error(`bad case ${constraint} / ${version}`);
  return c.matches(v);
}

describe('Helm version constraints', () => {
  it.each([
    ['1.2.3', '1.2.3', true],
    ['1.2.3', '1.2.4', false],
    ['v1.2.3', '1.2.3', true],
    ['>= 1.2, < 3.0.0 || >= 4.2.3', '2.9.9', true],
    ['>= 1.2, < 3.0.0 || >= 4.2.3', '3.5.0', false],
    ['>= 1.2, < 3.0.0 || >= 4.2.3', '4.2.3', true],
    ['>=1.2 <3', '2.0.0', true],
    ['!=1.3.0', '1.3.0', false],
    ['!=1.3.0', '1.3.1', true],
    ['1.2 - 1.4.5', '1.4.5', true],
    ['1.2 - 1.4.5', '1.4.6', false],
    ['1.2.x', '1.2.9', true],
    ['1.2.x', '1.3.0', false],
    ['>= 1.2.x', '5.0.0', true],
    ['<= 2.x', '2.9.0', true],
    ['<= 2.x', '3.0.0', false],
    ['*', '0.0.1', true],
    ['~1.2.3', '1.2.9', true],
    ['~1.2.3', '1.3.0', false],
    ['~1', '1.9.0', true],
    ['~1', '2.0.0', false],
    ['~2.3', '2.3.7', true],
    ['~2.3', '2.4.0', false],
    ['^1.2.3', '1.9.0', true],
    ['^1.2.3', '2.0.0', false],
    ['^1.2.3', '1.2.2', false],
    ['^0.2.3', '0.2.9', true],
    ['^0.2.3', '0.3.0', false],
    ['^0.0.3', '0.0.4', false],
    ['^0.0', '0.0.9', true],
    ['^0.0', '0.1.0', false],
    ['^0', '0.9.0', true],
    ['^1.2.0', '1.5.0-beta.1', false],
    ['>=1.2.0-0', '1.5.0-beta.1', true],
    ['>=1.2.0-0, <2.0.0', '1.5.0-beta.1', true],
    ['*', '2.0.0-rc.1', false],
  ])('%s matches %s: %s', (constraint, version, want) => {
    expect(matches(constraint, version)).toBe(want);
  });

  it('rejects what is not a constraint', () => {
    expect(parseConstraint('latest').ok).toBe(false);
    expect(parseConstraint('>= 1.2, ').ok).toBe(true);
    expect(parseConstraint('1.2 ||').ok).toBe(false);
  });
});

describe('pickVersion (Helm: the exact spelling first, else the highest match)', () => {
  const versions = ['1.0.0', '1.1.0', '1.10.0', '2.0.0-rc.1', '1.9.0', 'not-semver'];
  it.each([
    ['', '1.10.0'],
    ['^1.0.0', '1.10.0'],
    ['~1.1', '1.1.0'],
    ['1.0.0', '1.0.0'],
    ['>=2.0.0-0', '2.0.0-rc.1'],
    ['not-semver', 'not-semver'],
    ['^3', undefined],
  ])('%s → %s', (constraint, want) => {
    expect(pickVersion(versions, constraint)).toEqual({ ok: true, version: want });
  });
});
