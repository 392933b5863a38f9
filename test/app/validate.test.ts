import { describe, expect, it } from 'vitest';
import { DEFAULT_INTERVAL_MS, formatValidationError, parseApplication } from '../../src/app/validate.ts';
import { DEFAULT_ROLLOUT } from '../../src/rollout/policy.ts';

type Obj = Record<string, unknown>;

/** A minimal valid Application, with `edit` applied to a deep copy. */
function app(edit: (a: { apiVersion: unknown; kind: unknown; metadata: Obj; spec: Obj & { source: Obj; destination: Obj } }) => void = () => {}): Obj {
  const a = {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'guestbook' } as Obj,
    spec: { source: { repoURL: 'https://git.example.com/org/deploy.git' } as Obj, destination: { namespace: 'guestbook' } as Obj } as Obj & { source: Obj; destination: Obj },
  };
  edit(a);
  return a;
}

function syncPolicy(policy: unknown): Obj {
  return app((a) => {
    a.spec.syncPolicy = policy;
  });
}

function errorsOf(obj: unknown): { path: string; message: string }[] {
  const r = parseApplication(obj, 'test');
  if (r.ok) throw new Error('expected errors, got a valid Application');
  return r.errors.map(({ path, message }) => ({ path, message }));
}

describe('parseApplication: defaults', () => {
  it('fills every default of a minimal Application', () => {
    const r = parseApplication(app(), 'test');
    expect(r).toEqual({
      ok: true,
      app: {
        name: 'guestbook',
        namespace: 'sluice-system',
        spec: {
          source: { repoURL: 'https://git.example.com/org/deploy.git', targetRevision: 'HEAD', path: '.', recurse: true },
          destination: { namespace: 'guestbook' },
          syncPolicy: { syncOptions: { createNamespace: false, pruneLast: false, serverSideApply: false }, intervalMs: DEFAULT_INTERVAL_MS },
          ignoreDifferences: [],
          rollout: DEFAULT_ROLLOUT,
        },
      },
    });
  });

  it('reads a full Application, its rollout policy defaulted', () => {
    const rollout = { maxSurge: '25%', maxUnavailable: 0, steps: ['20%', 50, '100%'], stepHold: '30s', progressDeadline: '5m', failure: { notReadyFor: '1m' }, autoRollback: false };
    const input = app((a) => {
      a.metadata = { name: 'web.prod', namespace: 'team-a', labels: { x: 'y' }, uid: 'abc', resourceVersion: '7' };
      a.spec.source = { repoURL: 'http://127.0.0.1:8080/r.git', targetRevision: 'v1.2.0', path: 'apps/web/', directory: { recurse: false } };
      a.spec.destination = { namespace: 'web', server: 'https://kubernetes.default.svc' };
      a.spec.syncPolicy = { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true', 'PruneLast=false', 'ServerSideApply=true'], interval: '1h30m' };
      a.spec.ignoreDifferences = [
        { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
        { group: '', kind: 'ConfigMap', name: 'cm', namespace: 'web', jsonPaths: ['.data.x', '$.data'], managedFieldsManagers: ['kube-controller-manager'] },
      ];
      a.spec.rollout = rollout;
      (a as Obj).status = { sync: { status: 'Synced' } };
    });
    const r = parseApplication(input, 'test');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.app.name).toBe('web.prod');
    expect(r.app.namespace).toBe('team-a');
    expect(r.app.spec.source).toEqual({ repoURL: 'http://127.0.0.1:8080/r.git', targetRevision: 'v1.2.0', path: 'apps/web/', recurse: false });
    expect(r.app.spec.syncPolicy).toEqual({
      automated: { prune: true, selfHeal: true },
      syncOptions: { createNamespace: true, pruneLast: false, serverSideApply: true },
      intervalMs: 90 * 60_000,
    });
    expect(r.app.spec.ignoreDifferences).toEqual([
      { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'], jsonPaths: [], managedFieldsManagers: [] },
      { group: '', kind: 'ConfigMap', name: 'cm', namespace: 'web', jsonPointers: [], jsonPaths: ['.data.x', '$.data'], managedFieldsManagers: ['kube-controller-manager'] },
    ]);
    expect(r.app.spec.rollout).toEqual({
      steps: [20, 50, 100],
      stepHoldMs: 30_000,
      maxSurge: '25%',
      maxUnavailable: 0,
      progressDeadlineMs: 5 * 60_000,
      failure: { restarts: 3, notReadyForMs: 60_000 },
      autoRollback: false,
    });
  });

  it.each([
    ['automated: {} turns automation on with both flags off', { automated: {} }, { prune: false, selfHeal: false }],
    ['automated: null means manual', { automated: null }, undefined],
    ['no automated means manual', {}, undefined],
  ])('%s', (_name, policy, want) => {
    const r = parseApplication(syncPolicy(policy), 'test');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.app.spec.syncPolicy.automated).toEqual(want);
  });

  it.each([
    ['', '.'],
    ['.', '.'],
    ['a/b', 'a/b'],
    ['./overlays/dev', './overlays/dev'],
    ['..foo/bar', '..foo/bar'],
  ])('accepts source path %j as %j', (path, want) => {
    const r = parseApplication(app((a) => void (a.spec.source.path = path)), 'test');
    expect(r.ok && r.app.spec.source.path).toBe(want);
  });

  it.each([
    ['5s', 5000],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['1.5m', 90_000],
    ['2h', 7_200_000],
    ['5500ms', 5500],
  ])('reads interval %s as %d ms', (interval, ms) => {
    const r = parseApplication(syncPolicy({ interval }), 'test');
    expect(r.ok && r.app.spec.syncPolicy.intervalMs).toBe(ms);
  });

  it('accepts the in-cluster destination by server (with or without a trailing slash) or by name', () => {
    for (const destination of [{ namespace: 'x', server: 'https://kubernetes.default.svc/' }, { namespace: 'x', name: 'in-cluster' }]) {
      expect(parseApplication(app((a) => void (a.spec.destination = destination)), 'test').ok).toBe(true);
    }
  });
});

describe('parseApplication: errors', () => {
  const set = (f: (a: Parameters<Parameters<typeof app>[0] & object>[0]) => void): Obj => app(f);
  const cases: { name: string; input: unknown; path: string; message: RegExp }[] = [
    { name: 'not an object', input: 'guestbook', path: '', message: /must be an object, not string/ },
    { name: 'a list', input: [], path: '', message: /not array/ },
    { name: 'wrong apiVersion', input: set((a) => void (a.apiVersion = 'argoproj.io/v1alpha1')), path: 'apiVersion', message: /must be sluice.dev\/v1alpha1, not "argoproj.io\/v1alpha1"/ },
    { name: 'missing apiVersion', input: set((a) => void delete (a as Obj).apiVersion), path: 'apiVersion', message: /is required/ },
    { name: 'wrong kind', input: set((a) => void (a.kind = 'AppProject')), path: 'kind', message: /must be Application/ },
    { name: 'unknown top-level field', input: set((a) => void ((a as Obj).sepc = {})), path: 'sepc', message: /unknown field "sepc" \(did you mean "spec"\?\)/ },
    { name: 'missing metadata', input: set((a) => void delete (a as Obj).metadata), path: 'metadata.name', message: /is required/ },
    { name: 'missing name', input: set((a) => void (a.metadata = {})), path: 'metadata.name', message: /is required/ },
    { name: 'uppercase name', input: set((a) => void (a.metadata.name = 'GuestBook')), path: 'metadata.name', message: /RFC 1123 subdomain/ },
    { name: 'name with underscore', input: set((a) => void (a.metadata.name = 'guest_book')), path: 'metadata.name', message: /"guest_book" is not a valid name/ },
    { name: 'name too long', input: set((a) => void (a.metadata.name = 'a'.repeat(254))), path: 'metadata.name', message: /no more than 253 characters/ },
    { name: 'name a number', input: set((a) => void (a.metadata.name = 42)), path: 'metadata.name', message: /must be a string, not number/ },
    { name: 'namespace with dot', input: set((a) => void (a.metadata.namespace = 'a.b')), path: 'metadata.namespace', message: /RFC 1123 label/ },
    { name: 'missing spec', input: set((a) => void delete (a as Obj).spec), path: 'spec', message: /is required/ },
    { name: 'spec not an object', input: set((a) => void ((a as Obj).spec = 'x')), path: 'spec', message: /must be an object, not string/ },
    { name: 'unknown spec field', input: set((a) => void (a.spec.helm = {})), path: 'spec.helm', message: /unknown field "helm"; spec allows project, source, destination, syncPolicy, ignoreDifferences, rollout/ },
    { name: 'empty project', input: set((a) => void (a.spec.project = '')), path: 'spec.project', message: /must not be empty/ },
    { name: 'misspelt syncPolicy', input: set((a) => void (a.spec.syncpolicy = {})), path: 'spec.syncpolicy', message: /did you mean "syncPolicy"/ },
    { name: 'missing source', input: set((a) => void delete (a.spec as Obj).source), path: 'spec.source', message: /is required/ },
    { name: 'missing repoURL', input: set((a) => void (a.spec.source = {})), path: 'spec.source.repoURL', message: /is required/ },
    { name: 'empty repoURL', input: set((a) => void (a.spec.source.repoURL = '')), path: 'spec.source.repoURL', message: /must not be empty/ },
    { name: 'ssh repoURL', input: set((a) => void (a.spec.source.repoURL = 'ssh://git@host/r.git')), path: 'spec.source.repoURL', message: /scheme "ssh" is not supported/ },
    { name: 'scp-style repoURL', input: set((a) => void (a.spec.source.repoURL = 'git@github.com:org/r.git')), path: 'spec.source.repoURL', message: /scheme "git@github.com" is not supported|is not a URL/ },
    { name: 'relative repoURL', input: set((a) => void (a.spec.source.repoURL = 'org/repo')), path: 'spec.source.repoURL', message: /is not a URL/ },
    { name: 'file repoURL', input: set((a) => void (a.spec.source.repoURL = 'file:///srv/r.git')), path: 'spec.source.repoURL', message: /scheme "file" is not supported/ },
    { name: 'credentials in repoURL', input: set((a) => void (a.spec.source.repoURL = 'https://u:p@h/r.git')), path: 'spec.source.repoURL', message: /must not embed credentials/ },
    { name: 'fragment in repoURL', input: set((a) => void (a.spec.source.repoURL = 'https://h/r.git#main')), path: 'spec.source.repoURL', message: /targetRevision/ },
    { name: 'numeric targetRevision', input: set((a) => void (a.spec.source.targetRevision = 1.2)), path: 'spec.source.targetRevision', message: /must be a string, not number/ },
    { name: 'padded targetRevision', input: set((a) => void (a.spec.source.targetRevision = 'main ')), path: 'spec.source.targetRevision', message: /whitespace/ },
    { name: 'absolute path', input: set((a) => void (a.spec.source.path = '/etc')), path: 'spec.source.path', message: /relative to the repository root, not absolute/ },
    { name: 'path escaping the repo', input: set((a) => void (a.spec.source.path = 'apps/../../etc')), path: 'spec.source.path', message: /must not contain ".." segments/ },
    { name: 'path of ..', input: set((a) => void (a.spec.source.path = '..')), path: 'spec.source.path', message: /".."/ },
    { name: 'windows path escape', input: set((a) => void (a.spec.source.path = 'a\\..\\b')), path: 'spec.source.path', message: /".."/ },
    { name: 'unknown source field', input: set((a) => void ((a.spec.source as Obj).plugin = {})), path: 'spec.source.plugin', message: /unknown field "plugin"/ },
    { name: 'chart that is not a name', input: set((a) => void ((a.spec.source as Obj).chart = '../x')), path: 'spec.source.chart', message: /not a chart name/ },
    { name: 'recurse as string', input: set((a) => void (a.spec.source.directory = { recurse: 'false' })), path: 'spec.source.directory.recurse', message: /must be true or false, not string "false" \(remove the quotes\)/ },
    { name: 'unknown directory field', input: set((a) => void (a.spec.source.directory = { include: '*.yaml' })), path: 'spec.source.directory.include', message: /unknown field "include"; spec.source.directory allows recurse/ },
    { name: 'missing destination', input: set((a) => void delete (a.spec as Obj).destination), path: 'spec.destination', message: /is required/ },
    { name: 'missing destination namespace', input: set((a) => void (a.spec.destination = {})), path: 'spec.destination.namespace', message: /is required/ },
    { name: 'bad destination namespace', input: set((a) => void (a.spec.destination.namespace = 'Guest_Book')), path: 'spec.destination.namespace', message: /RFC 1123 label/ },
    { name: 'long destination namespace', input: set((a) => void (a.spec.destination.namespace = 'n'.repeat(64))), path: 'spec.destination.namespace', message: /no more than 63/ },
    { name: 'server not a URL', input: set((a) => void (a.spec.destination.server = 'prod.example.com:6443')), path: 'spec.destination.server', message: /"prod.example.com:6443" is not an http\(s\) URL/ },
    { name: 'cluster name a number', input: set((a) => void (a.spec.destination.name = 7)), path: 'spec.destination.name', message: /string/ },
    { name: 'syncPolicy a list', input: syncPolicy([]), path: 'spec.syncPolicy', message: /must be an object, not array/ },
    { name: 'automated true', input: syncPolicy({ automated: true }), path: 'spec.syncPolicy.automated', message: /must be an object, not boolean/ },
    { name: 'prune as string', input: syncPolicy({ automated: { prune: 'yes' } }), path: 'spec.syncPolicy.automated.prune', message: /must be true or false/ },
    { name: 'selfHeal number', input: syncPolicy({ automated: { selfHeal: 1 } }), path: 'spec.syncPolicy.automated.selfHeal', message: /not number/ },
    { name: 'automated typo', input: syncPolicy({ automated: { selfheal: true } }), path: 'spec.syncPolicy.automated.selfheal', message: /did you mean "selfHeal"/ },
    { name: 'automated allowEmpty', input: syncPolicy({ automated: { allowEmpty: true } }), path: 'spec.syncPolicy.automated.allowEmpty', message: /unknown field "allowEmpty"; spec.syncPolicy.automated allows prune, selfHeal/ },
    { name: 'syncPolicy typo', input: syncPolicy({ automted: {} }), path: 'spec.syncPolicy.automted', message: /did you mean "automated"/ },
    { name: 'argo retry', input: syncPolicy({ retry: { limit: 5 } }), path: 'spec.syncPolicy.retry', message: /unknown field "retry"/ },
    { name: 'syncOptions a string', input: syncPolicy({ syncOptions: 'CreateNamespace=true' }), path: 'spec.syncPolicy.syncOptions', message: /must be a list, not string/ },
    { name: 'syncOption without value', input: syncPolicy({ syncOptions: ['CreateNamespace=true', 'PruneLast'] }), path: 'spec.syncPolicy.syncOptions[1]', message: /"PruneLast" must have the form Name=true or Name=false/ },
    { name: 'unknown syncOption', input: syncPolicy({ syncOptions: ['Validate=false'] }), path: 'spec.syncPolicy.syncOptions[0]', message: /unknown sync option "Validate"; Sluice supports CreateNamespace, PruneLast, ServerSideApply/ },
    { name: 'syncOption wrong case', input: syncPolicy({ syncOptions: ['createNamespace=true'] }), path: 'spec.syncPolicy.syncOptions[0]', message: /unknown sync option "createNamespace"/ },
    { name: 'syncOption value not boolean', input: syncPolicy({ syncOptions: ['PruneLast=yes'] }), path: 'spec.syncPolicy.syncOptions[0]', message: /must be true or false, not "yes"/ },
    { name: 'syncOption value True', input: syncPolicy({ syncOptions: ['PruneLast=True'] }), path: 'spec.syncPolicy.syncOptions[0]', message: /not "True"/ },
    { name: 'syncOption not a string', input: syncPolicy({ syncOptions: [{ CreateNamespace: true }] }), path: 'spec.syncPolicy.syncOptions[0]', message: /must be a string like "CreateNamespace=true", not object/ },
    { name: 'syncOption given twice', input: syncPolicy({ syncOptions: ['PruneLast=true', 'CreateNamespace=true', 'PruneLast=false'] }), path: 'spec.syncPolicy.syncOptions[2]', message: /already set by spec.syncPolicy.syncOptions\[0\]/ },
    { name: 'interval a number', input: syncPolicy({ interval: 180 }), path: 'spec.syncPolicy.interval', message: /not number 180 \(add a unit\)/ },
    { name: 'interval without unit', input: syncPolicy({ interval: '180' }), path: 'spec.syncPolicy.interval', message: /missing unit/ },
    { name: 'interval with unknown unit', input: syncPolicy({ interval: '3min' }), path: 'spec.syncPolicy.interval', message: /unknown unit "min"/ },
    { name: 'interval in days', input: syncPolicy({ interval: '1d' }), path: 'spec.syncPolicy.interval', message: /unknown unit "d"/ },
    { name: 'interval negative', input: syncPolicy({ interval: '-5m' }), path: 'spec.syncPolicy.interval', message: /must not be signed/ },
    { name: 'interval with space', input: syncPolicy({ interval: '1h 30m' }), path: 'spec.syncPolicy.interval', message: /is not a duration/ },
    { name: 'interval empty', input: syncPolicy({ interval: '' }), path: 'spec.syncPolicy.interval', message: /must not be empty/ },
    { name: 'interval too short', input: syncPolicy({ interval: '4s' }), path: 'spec.syncPolicy.interval', message: /"4s" is too short: the poll interval must be at least 5s/ },
    { name: 'interval zero', input: syncPolicy({ interval: '0' }), path: 'spec.syncPolicy.interval', message: /too short/ },
    { name: 'interval 4999ms', input: syncPolicy({ interval: '4999ms' }), path: 'spec.syncPolicy.interval', message: /too short/ },
    { name: 'ignoreDifferences an object', input: set((a) => void (a.spec.ignoreDifferences = { group: 'apps' })), path: 'spec.ignoreDifferences', message: /must be a list, not object/ },
    { name: 'ignoreDifferences null entry', input: set((a) => void (a.spec.ignoreDifferences = [null])), path: 'spec.ignoreDifferences[0]', message: /not null/ },
    { name: 'ignoreDifferences missing group', input: set((a) => void (a.spec.ignoreDifferences = [{ kind: 'Service', jsonPointers: ['/spec'] }])), path: 'spec.ignoreDifferences[0].group', message: /is required \(""/ },
    { name: 'ignoreDifferences missing kind', input: set((a) => void (a.spec.ignoreDifferences = [{ group: 'apps', jsonPointers: ['/spec'] }])), path: 'spec.ignoreDifferences[0].kind', message: /is required/ },
    { name: 'ignoreDifferences empty kind', input: set((a) => void (a.spec.ignoreDifferences = [{ group: 'apps', kind: '', jsonPointers: ['/spec'] }])), path: 'spec.ignoreDifferences[0].kind', message: /must not be empty/ },
    { name: 'jsonPointer without slash', input: set((a) => void (a.spec.ignoreDifferences = [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/a', 'spec/replicas'] }])), path: 'spec.ignoreDifferences[0].jsonPointers[1]', message: /must start with "\/"/ },
    { name: 'jsonPointer bad escape', input: set((a) => void (a.spec.ignoreDifferences = [{ group: '', kind: 'ConfigMap', jsonPointers: ['/metadata/annotations/a~2b'] }])), path: 'spec.ignoreDifferences[0].jsonPointers[0]', message: /invalid escape/ },
    { name: 'jsonPath without dot', input: set((a) => void (a.spec.ignoreDifferences = [{ group: 'apps', kind: 'Deployment', jsonPaths: ['spec.replicas'] }])), path: 'spec.ignoreDifferences[0].jsonPaths[0]', message: /must start with "\." or "\$"/ },
    { name: 'jsonPointers a string', input: set((a) => void (a.spec.ignoreDifferences = [{ group: 'apps', kind: 'Deployment', jsonPointers: '/spec/replicas' }])), path: 'spec.ignoreDifferences[0].jsonPointers', message: /must be a list, not string/ },
    { name: 'empty manager', input: set((a) => void (a.spec.ignoreDifferences = [{ group: 'apps', kind: 'Deployment', managedFieldsManagers: [''] }])), path: 'spec.ignoreDifferences[0].managedFieldsManagers[0]', message: /must not be empty/ },
    { name: 'ignores nothing', input: set((a) => void (a.spec.ignoreDifferences = [{ group: 'apps', kind: 'Deployment' }])), path: 'spec.ignoreDifferences[0]', message: /ignores nothing/ },
    { name: 'ignoreDifferences typo', input: set((a) => void (a.spec.ignoreDifferences = [{ group: 'apps', kind: 'Deployment', jsonPointer: ['/spec'] }])), path: 'spec.ignoreDifferences[0].jsonPointer', message: /did you mean "jsonPointers"/ },
    { name: 'rollout a list', input: set((a) => void (a.spec.rollout = [25, 50])), path: 'spec.rollout', message: /must be an object, not array/ },
    { name: 'rollout a string', input: set((a) => void (a.spec.rollout = 'canary')), path: 'spec.rollout', message: /must be an object, not string/ },
    { name: 'rollout typo', input: set((a) => void (a.spec.rollout = { step: [100] })), path: 'spec.rollout.step', message: /did you mean "steps"/ },
    { name: 'step above 100', input: set((a) => void (a.spec.rollout = { steps: [50, 120] })), path: 'spec.rollout.steps[1]', message: /at most 100/ },
    { name: 'steps falling', input: set((a) => void (a.spec.rollout = { steps: ['50%', '20%', '100%'] })), path: 'spec.rollout.steps[1]', message: /larger than the step before it \(50%\)/ },
    { name: 'steps short of 100', input: set((a) => void (a.spec.rollout = { steps: [20, 50] })), path: 'spec.rollout.steps', message: /must end at 100%/ },
    { name: 'no steps', input: set((a) => void (a.spec.rollout = { steps: [] })), path: 'spec.rollout.steps', message: /at least one step/ },
    { name: 'stepHold without unit', input: set((a) => void (a.spec.rollout = { stepHold: 30 })), path: 'spec.rollout.stepHold', message: /add a unit/ },
    { name: 'maxSurge bad', input: set((a) => void (a.spec.rollout = { maxSurge: '25' })), path: 'spec.rollout.maxSurge', message: /percentage \("25%"\)/ },
    { name: 'both bounds 0', input: set((a) => void (a.spec.rollout = { maxSurge: 0, maxUnavailable: '0%' })), path: 'spec.rollout.maxUnavailable', message: /may not be 0 when maxSurge is 0/ },
    { name: 'restarts negative', input: set((a) => void (a.spec.rollout = { failure: { restarts: -1 } })), path: 'spec.rollout.failure.restarts', message: /whole number/ },
    { name: 'notReadyFor bad', input: set((a) => void (a.spec.rollout = { failure: { notReadyFor: '2 minutes' } })), path: 'spec.rollout.failure.notReadyFor', message: /./ },
    { name: 'autoRollback a string', input: set((a) => void (a.spec.rollout = { autoRollback: 'yes' })), path: 'spec.rollout.autoRollback', message: /true or false/ },
  ];

  it.each(cases)('$name → $path', ({ input, path, message }) => {
    const errors = errorsOf(input);
    const at = errors.filter((e) => e.path === path);
    expect(at, JSON.stringify(errors)).not.toHaveLength(0);
    expect(at.map((e) => e.message).join('\n')).toMatch(message);
  });

  it('reports every problem at once, each with where it came from', () => {
    const r = parseApplication(
      app((a) => {
        a.metadata.name = 'Bad_Name';
        a.spec.source.repoURL = 'ftp://x';
        a.spec.destination.namespace = '';
        a.spec.syncPolicy = { interval: '1s', syncOptions: ['Foo=true'] };
      }),
      'apps.yaml',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path)).toEqual([
      'metadata.name',
      'spec.source.repoURL',
      'spec.destination.namespace',
      'spec.syncPolicy.syncOptions[0]',
      'spec.syncPolicy.interval',
    ]);
    expect(r.errors.every((e) => e.where === 'apps.yaml')).toBe(true);
    expect(formatValidationError(r.errors[4]!)).toBe('apps.yaml: spec.syncPolicy.interval: "1s" is too short: the poll interval must be at least 5s');
  });

  it('does not modify its input', () => {
    const input = syncPolicy({ automated: {} });
    const before = JSON.stringify(input);
    parseApplication(input, 'test');
    expect(JSON.stringify(input)).toBe(before);
  });
});
