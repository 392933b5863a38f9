/** The two glob dialects of Argo CD's projects: gobwas/glob (repositories, destinations) and Go's filepath.Match (kinds). */
import { describe, expect, it } from 'vitest';
import { compileFilepathGlob, compileGlob, filepathMatch, globMatch } from '../../src/project/glob.ts';

describe('gobwas glob', () => {
  it.each([
    // pattern, value, separators, matches
    ['*', 'anything/at/all', '', true],
    ['https://github.com/org/*', 'https://github.com/org/repo', '/', true],
    ['https://github.com/org/*', 'https://github.com/org/group/repo', '/', false], // * stops at the separator
    ['https://github.com/org/**', 'https://github.com/org/group/repo', '/', true],
    ['https://github.com/*/web', 'https://github.com/team-a/web', '/', true],
    ['https://github.com/org/repo', 'https://github.com/org/repo2', '/', false],
    ['team-*', 'team-a', '', true],
    ['team-*', 'team-a/b', '', true], // no separator for destinations
    ['team-?', 'team-ab', '', false],
    ['team-[ab]', 'team-b', '', true],
    ['team-[!ab]', 'team-b', '', false],
    ['team-[a-c]x', 'team-bx', '', true],
    ['{dev,staging}-*', 'staging-web', '', true],
    ['{dev,staging}-*', 'prod-web', '', false],
    ['a.b', 'axb', '', false], // regex characters are literal
    ['a\\*', 'a*', '', true],
    ['a\\*', 'ab', '', false],
    ['(x)+', '(x)+', '', true],
  ])('%s ~ %s (separators %j): %s', (pattern, value, separators, want) => {
    expect(globMatch(pattern, value, separators)).toBe(want);
  });

  it.each([['a{b'], ['a[b'], ['a\\'], ['[]']])('%s does not compile, and matches nothing', (pattern) => {
    expect(compileGlob(pattern).ok).toBe(false);
    expect(globMatch(pattern, pattern)).toBe(false);
  });
});

describe("Go's filepath.Match", () => {
  it.each([
    ['*', 'Deployment', true],
    ['*', '', true],
    ['', '', true],
    ['', 'apps', false],
    ['Cluster*', 'ClusterRoleBinding', true],
    ['*Binding', 'RoleBinding', true],
    ['rbac.*', 'rbac.authorization.k8s.io', true],
    ['[^D]*', 'Deployment', false],
    ['[^D]*', 'StatefulSet', true],
    ['?ob', 'Job', true],
    ['a/*', 'a/b', true],
    ['*', 'a/b', false], // * does not cross '/'
    ['\\*', '*', true],
  ])('%s ~ %s: %s', (pattern, value, want) => {
    expect(filepathMatch(pattern, value)).toBe(want);
  });

  it.each([['[]'], ['[a-]'], ['a\\'], ['[z-a]'], ['[abc']])('%s is a bad pattern (ErrBadPattern): matches nothing', (pattern) => {
    expect(compileFilepathGlob(pattern).ok).toBe(false);
    expect(filepathMatch(pattern, 'a')).toBe(false);
  });
});
