import { describe, expect, it } from 'vitest';
import {
  formatLabelRequirements,
  isSupportedField,
  labelSelectorFromObject,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
  type LabelRequirement,
} from '../../src/sim/selectors.ts';

const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

describe('parseLabelSelector', () => {
  it.each<{ name: string; text: string; want: LabelRequirement[] }>([
    { name: 'empty', text: '', want: [] },
    { name: 'blank', text: '   ', want: [] },
    { name: 'equals', text: 'app=web', want: [{ key: 'app', operator: 'Equals', values: ['web'] }] },
    { name: 'double equals', text: 'app==web', want: [{ key: 'app', operator: 'Equals', values: ['web'] }] },
    { name: 'not equals', text: 'app!=web', want: [{ key: 'app', operator: 'NotEquals', values: ['web'] }] },
    { name: 'empty value', text: 'app=', want: [{ key: 'app', operator: 'Equals', values: [''] }] },
    { name: 'in, values sorted and deduplicated', text: 'env in (prod, dev,prod)', want: [{ key: 'env', operator: 'In', values: ['dev', 'prod'] }] },
    { name: 'notin', text: 'env notin (qa)', want: [{ key: 'env', operator: 'NotIn', values: ['qa'] }] },
    { name: 'empty set', text: 'env in ()', want: [{ key: 'env', operator: 'In', values: [''] }] },
    { name: 'empty members', text: 'x in (a,,b)', want: [{ key: 'x', operator: 'In', values: ['', 'a', 'b'] }] },
    { name: 'in as a value', text: 'x in (in,notin)', want: [{ key: 'x', operator: 'In', values: ['in', 'notin'] }] },
    { name: 'exists', text: 'tier', want: [{ key: 'tier', operator: 'Exists', values: [] }] },
    { name: 'does not exist', text: '! tier', want: [{ key: 'tier', operator: 'DoesNotExist', values: [] }] },
    { name: 'greater than', text: 'rank>3', want: [{ key: 'rank', operator: 'GreaterThan', values: ['3'] }] },
    { name: 'prefixed key', text: 'app.kubernetes.io/name=web', want: [{ key: 'app.kubernetes.io/name', operator: 'Equals', values: ['web'] }] },
    {
      name: 'several, sorted by key, whitespace tolerated',
      text: ' z = 1 ,\ta,!b, c in (x) ',
      want: [
        { key: 'a', operator: 'Exists', values: [] },
        { key: 'b', operator: 'DoesNotExist', values: [] },
        { key: 'c', operator: 'In', values: ['x'] },
        { key: 'z', operator: 'Equals', values: ['1'] },
      ],
    },
  ])('$name', ({ text, want }) => {
    expect(parseLabelSelector(text)).toEqual(want);
  });

  it.each<{ name: string; text: string; message: string }>([
    { name: 'bad key', text: 'foo_=x', message: `unable to parse requirement: <nil>: Invalid value: "foo_": ${NAME_PART_MSG}` },
    {
      name: 'bad value',
      text: 'app=a%b',
      message:
        'unable to parse requirement: values[0][app]: Invalid value: "a%b": a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyValue\',  or \'my_value\',  or \'12345\', regex used for validation is \'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\')',
    },
    { name: 'value with a space', text: 'app=a b', message: "found 'b', expected: ',' or 'end of string'" },
    { name: 'unknown operator', text: 'app ~ x', message: "unable to parse requirement: found '~', expected: in, notin, =, ==, !=, gt, lt" },
    { name: 'missing parenthesis', text: 'app in x', message: "unable to parse requirement: found 'x' expected: '('" },
    { name: 'unclosed set', text: 'app in (x', message: "unable to parse requirement: found '', expected: ',' or ')'" },
    { name: 'trailing comma', text: 'a=b,', message: "found '', expected: identifier after ','" },
    { name: 'leading operator', text: '=b', message: "found '=', expected: !, identifier, or 'end of string'" },
    { name: 'gt needs an integer', text: 'rank>x', message: `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer` },
  ])('rejects $name', ({ text, message }) => {
    expect(() => parseLabelSelector(text)).toThrow(new SelectorError(message));
  });
});

describe('matchesLabels', () => {
  const web = { app: 'web', env: 'prod', rank: '5' };
  it.each<{ name: string; selector: string; labels: Record<string, string> | undefined; want: boolean }>([
    { name: 'empty selector matches all', selector: '', labels: undefined, want: true },
    { name: 'equals', selector: 'app=web', labels: web, want: true },
    { name: 'equals, other value', selector: 'app=db', labels: web, want: false },
    { name: 'equals, label missing', selector: 'tier=a', labels: web, want: false },
    { name: 'not equals', selector: 'app!=db', labels: web, want: true },
    { name: 'not equals matches objects without the label', selector: 'tier!=a', labels: web, want: true },
    { name: 'notin matches objects without the label', selector: 'tier notin (a)', labels: {}, want: true },
    { name: 'notin, listed value', selector: 'env notin (prod)', labels: web, want: false },
    { name: 'in', selector: 'env in (dev,prod)', labels: web, want: true },
    { name: 'exists', selector: 'env', labels: web, want: true },
    { name: 'does not exist', selector: '!env', labels: web, want: false },
    { name: 'no labels, does not exist', selector: '!env', labels: undefined, want: true },
    { name: 'greater than', selector: 'rank>3', labels: web, want: true },
    { name: 'less than', selector: 'rank<3', labels: web, want: false },
    { name: 'all must hold', selector: 'app=web,env=dev', labels: web, want: false },
  ])('$name', ({ selector, labels, want }) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(want);
  });
});

describe('labelSelectorFromObject', () => {
  it('turns matchLabels and matchExpressions into sorted requirements', () => {
    expect(
      labelSelectorFromObject({
        matchLabels: { b: '1', a: '2' },
        matchExpressions: [
          { key: 'c', operator: 'In', values: ['y', 'x'] },
          { key: '0', operator: 'DoesNotExist' },
        ],
      }),
    ).toEqual([
      { key: '0', operator: 'DoesNotExist', values: [] },
      { key: 'a', operator: 'Equals', values: ['2'] },
      { key: 'b', operator: 'Equals', values: ['1'] },
      { key: 'c', operator: 'In', values: ['y', 'x'] },
    ]);
  });

  it.each<{ name: string; sel: Parameters<typeof labelSelectorFromObject>[0]; message: string }>([
    { name: 'unknown operator', sel: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] }, message: '"Equals" is not a valid label selector operator' },
    { name: 'In without values', sel: { matchExpressions: [{ key: 'a', operator: 'In' }] }, message: "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty" },
    {
      name: 'Exists with values',
      sel: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      message: 'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist',
    },
    { name: 'bad key', sel: { matchLabels: { 'a b': 'x' } }, message: `key: Invalid value: "a b": ${NAME_PART_MSG}` },
  ])('rejects $name', ({ sel, message }) => {
    expect(() => labelSelectorFromObject(sel)).toThrow(new SelectorError(message));
  });
});

describe('formatLabelRequirements', () => {
  it.each([
    ['app=web', 'app=web'],
    ['app==web', 'app=web'],
    ['env notin (b,a),!x,y', 'env notin (a,b),!x,y'],
    ['a!=b,c in (d)', 'a!=b,c in (d)'],
  ])('%s prints as %s', (text, want) => {
    expect(formatLabelRequirements(parseLabelSelector(text))).toBe(want);
  });
});

describe('parseFieldSelector', () => {
  it.each([
    { name: 'empty', text: '', want: [] },
    { name: 'equals', text: 'metadata.name=web', want: [{ field: 'metadata.name', operator: '=', value: 'web' }] },
    { name: 'double equals', text: 'status.phase==Running', want: [{ field: 'status.phase', operator: '=', value: 'Running' }] },
    { name: 'not equals', text: 'spec.nodeName!=', want: [{ field: 'spec.nodeName', operator: '!=', value: '' }] },
    {
      name: 'terms sorted',
      text: 'status.phase=Running,metadata.name=a',
      want: [
        { field: 'metadata.name', operator: '=', value: 'a' },
        { field: 'status.phase', operator: '=', value: 'Running' },
      ],
    },
    { name: 'escaped comma and equals', text: 'metadata.name=a\\,b\\=c', want: [{ field: 'metadata.name', operator: '=', value: 'a,b=c' }] },
    { name: 'no trimming', text: 'metadata.name = a', want: [{ field: 'metadata.name ', operator: '=', value: ' a' }] },
  ])('$name', ({ text, want }) => {
    expect(parseFieldSelector(text)).toEqual(want);
  });

  it.each([
    { name: 'no operator', text: 'metadata.name', message: "invalid selector: 'metadata.name'; can't understand 'metadata.name'" },
    { name: 'bad escape', text: 'metadata.name=a\\b', message: 'invalid field selector: invalid escape sequence: \\b' },
    { name: 'bare equals in value', text: 'metadata.name=a=b', message: 'invalid field selector: unescaped character in value: 61' },
  ])('rejects $name', ({ text, message }) => {
    expect(() => parseFieldSelector(text)).toThrow(new SelectorError(message));
  });
});

describe('matchesFields', () => {
  const pod = {
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'shop' },
    spec: { nodeName: 'node-a' },
    status: { phase: 'Running', podIPs: [{ ip: '10.0.0.7' }] },
  };
  it.each([
    { selector: 'metadata.name=web-1', want: true },
    { selector: 'metadata.namespace!=shop', want: false },
    { selector: 'spec.nodeName=node-a,status.phase=Running', want: true },
    { selector: 'spec.host=node-a', want: true },
    { selector: 'status.phase!=Pending', want: true },
    { selector: 'status.podIP=10.0.0.7', want: true },
    { selector: 'spec.hostNetwork=false', want: true },
    { selector: 'spec.nodeName=', want: false },
  ])('pod: $selector → $want', ({ selector, want }) => {
    expect(matchesFields(parseFieldSelector(selector), pod)).toBe(want);
  });

  it('reads the selectable fields of other kinds', () => {
    const secret = { kind: 'Secret', metadata: { name: 's' }, type: 'kubernetes.io/tls' };
    const event = { kind: 'Event', metadata: { name: 'e' }, involvedObject: { kind: 'Pod', name: 'web-1' }, source: { component: 'kubelet' } };
    expect(matchesFields(parseFieldSelector('type=kubernetes.io/tls'), secret)).toBe(true);
    expect(matchesFields(parseFieldSelector('involvedObject.name=web-1,source=kubelet'), event)).toBe(true);
  });
});

describe('isSupportedField', () => {
  it.each([
    { kind: 'ConfigMap', field: 'metadata.name', want: true },
    { kind: 'ConfigMap', field: 'metadata.namespace', want: true },
    { kind: 'ConfigMap', field: 'data.x', want: false },
    { kind: 'Pod', field: 'spec.nodeName', want: true },
    { kind: 'Pod', field: 'status.phase', want: true },
    { kind: 'Pod', field: 'spec.containers', want: false },
    { kind: 'Deployment', field: 'status.phase', want: false },
    { kind: 'Event', field: 'involvedObject.uid', want: true },
    { kind: 'Node', field: 'spec.unschedulable', want: true },
    { kind: 'Secret', field: 'type', want: true },
  ])('$kind $field → $want', ({ kind, field, want }) => {
    expect(isSupportedField(kind, field)).toBe(want);
  });
});
