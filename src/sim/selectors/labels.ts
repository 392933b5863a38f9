import { isJsonObject, type JsonValue } from '../../json.ts';
import { goQuote, isLabelValue, isQualifiedName } from '../validation/content.ts';
import { SelectorError } from './error.ts';

/** Label selectors as k8s.io/apimachinery/pkg/labels parses, matches and prints them. */

export const LABEL_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Equals', 'NotEquals', 'GreaterThan', 'LessThan'] as const;
export type LabelOperator = (typeof LABEL_OPERATORS)[number];

/** One ANDed term of a label selector. Gt/Lt exist in the string grammar only (`a>1`), not in metav1.LabelSelector. */
export type LabelRequirement = { key: string; operator: LabelOperator; values: string[] };

// ---- lexer -------------------------------------------------------------------------------

type TokenKind = 'id' | 'in' | 'notin' | '!' | '=' | '==' | '!=' | '>' | '<' | '(' | ')' | ',' | 'eof';
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
}

const SYMBOLS: Readonly<Record<string, TokenKind>> = { '=': '=', '!': '!', '(': '(', ')': ')', ',': ',', '>': '>', '<': '<', '!=': '!=', '==': '==' };
const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

function lex(s: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i] ?? '';
    if (WHITESPACE.has(ch)) {
      i++;
    } else if (SPECIAL.has(ch)) {
      // longest match: "!=" and "==" win over "!" and "="
      const two = s.slice(i, i + 2);
      const text = SYMBOLS[two] ? two : ch;
      tokens.push({ kind: SYMBOLS[text] ?? 'eof', text });
      i += text.length;
    } else {
      let j = i;
      while (j < s.length && !SPECIAL.has(s[j] ?? '') && !WHITESPACE.has(s[j] ?? '')) j++;
      const text = s.slice(i, j);
      tokens.push({ kind: text === 'in' || text === 'notin' ? text : 'id', text });
      i = j;
    }
  }
  tokens.push({ kind: 'eof', text: '' });
  return tokens;
}

// ---- parser ------------------------------------------------------------------------------

/** Where 'in'/'notin' are read: as operators after a key, as plain identifiers anywhere else. */
type Context = 'operator' | 'values';

class Parser {
  private pos = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  peek(ctx: Context = 'values'): Token {
    return this.asContext(this.tokens[Math.min(this.pos, this.tokens.length - 1)] ?? { kind: 'eof', text: '' }, ctx);
  }

  next(ctx: Context = 'values'): Token {
    const t = this.peek(ctx);
    this.pos++;
    return t;
  }

  private asContext(t: Token, ctx: Context): Token {
    return ctx === 'values' && (t.kind === 'in' || t.kind === 'notin') ? { kind: 'id', text: t.text } : t;
  }
}

const BINARY_OPERATOR_TEXT = 'in, notin, =, ==, !=, gt, lt';
const OPERATOR_OF: Partial<Record<TokenKind, LabelOperator>> = {
  in: 'In',
  notin: 'NotIn',
  '=': 'Equals',
  '==': 'Equals',
  '!=': 'NotEquals',
  '>': 'GreaterThan',
  '<': 'LessThan',
};

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h,i>3`; requirements come back sorted by key, as apimachinery sorts them. */
export function parseLabelSelector(text: string): LabelRequirement[] {
  const p = new Parser(lex(text));
  const reqs: LabelRequirement[] = [];
  for (;;) {
    const t = p.peek();
    if (t.kind === 'eof') break;
    if (t.kind !== 'id' && t.kind !== '!') throw new SelectorError(`found '${t.text}', expected: !, identifier, or 'end of string'`);
    reqs.push(wrapped(() => parseRequirement(p)));
    const after = p.next();
    if (after.kind === 'eof') break;
    if (after.kind !== ',') throw new SelectorError(`found '${after.text}', expected: ',' or 'end of string'`);
    const following = p.peek();
    if (following.kind !== 'id' && following.kind !== '!') throw new SelectorError(`found '${following.text}', expected: identifier after ','`);
  }
  return sortByKey(reqs);
}

function wrapped(fn: () => LabelRequirement): LabelRequirement {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SelectorError) throw new SelectorError(`unable to parse requirement: ${e.message}`);
    throw e;
  }
}

function parseRequirement(p: Parser): LabelRequirement {
  let negated = false;
  let t = p.next();
  if (t.kind === '!') {
    negated = true;
    t = p.next();
  }
  if (t.kind !== 'id') throw new SelectorError(`found '${t.text}', expected: identifier`);
  const key = t.text;
  const keyErrs = isQualifiedName(key);
  // apimachinery validates the key against a nil field path, which prints as "<nil>"
  if (keyErrs.length > 0) throw new SelectorError(`<nil>: Invalid value: ${goQuote(key)}: ${keyErrs.join('; ')}`);
  const la = p.peek();
  if (negated || la.kind === 'eof' || la.kind === ',') return newRequirement(key, negated ? 'DoesNotExist' : 'Exists', []);

  const opToken = p.next('operator');
  const operator = OPERATOR_OF[opToken.kind];
  if (!operator) throw new SelectorError(`found '${opToken.text}', expected: ${BINARY_OPERATOR_TEXT}`);
  const values = operator === 'In' || operator === 'NotIn' ? parseValueSet(p) : parseExactValue(p);
  return newRequirement(key, operator, [...new Set(values)].sort());
}

function parseValueSet(p: Parser): string[] {
  const open = p.next();
  if (open.kind !== '(') throw new SelectorError(`found '${open.text}' expected: '('`);
  const first = p.peek();
  if (first.kind === ')') {
    p.next();
    return [''];
  }
  if (first.kind !== 'id' && first.kind !== ',') throw new SelectorError(`found '${first.text}', expected: ',', ')' or identifier`);
  const values: string[] = [];
  for (;;) {
    const t = p.next();
    if (t.kind === 'id') {
      values.push(t.text);
      const la = p.peek();
      if (la.kind === ')') break;
      if (la.kind !== ',') throw new SelectorError(`found '${la.text}', expected: ',' or ')'`);
    } else if (t.kind === ',') {
      // "(,a)", "(a,,b)" and "(a,)" all carry an empty value
      if (values.length === 0) values.push('');
      const la = p.peek();
      if (la.kind === ')') {
        values.push('');
        break;
      }
      if (la.kind === ',') values.push('');
    } else {
      throw new SelectorError(`found '${t.text}', expected: ',', or identifier`);
    }
  }
  p.next(); // the ')'
  return values;
}

function parseExactValue(p: Parser): string[] {
  const la = p.peek();
  if (la.kind === 'eof' || la.kind === ',') return [''];
  const t = p.next();
  if (t.kind !== 'id') throw new SelectorError(`found '${t.text}', expected: identifier`);
  return [t.text];
}

/** labels.NewRequirement: the operator/value-count rules and label syntax, errors aggregated as apimachinery does. */
function newRequirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const errs: string[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length > 0) errs.push(`key: Invalid value: ${goQuote(key)}: ${keyErrs.join('; ')}`);
  const shown = `[]string{${values.map(goQuote).join(', ')}}`;
  switch (operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(`values: Invalid value: ${shown}: for 'in', 'notin' operators, values set can't be empty`);
      break;
    case 'Equals':
    case 'NotEquals':
      if (values.length !== 1) errs.push(`values: Invalid value: ${shown}: exact-match compatibility requires one single value`);
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length !== 0) errs.push(`values: Invalid value: ${shown}: values set must be empty for exists and does not exist`);
      break;
    case 'GreaterThan':
    case 'LessThan':
      if (values.length !== 1) errs.push(`values: Invalid value: ${shown}: for 'Gt', 'Lt' operators, exactly one value is required`);
      values.forEach((v, i) => {
        if (!isInteger(v)) errs.push(`values[${i}]: Invalid value: ${goQuote(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
      });
      break;
  }
  values.forEach((v, i) => {
    const msgs = isLabelValue(v);
    if (msgs.length > 0) errs.push(`values[${i}][${key}]: Invalid value: ${goQuote(v)}: ${msgs.join('; ')}`);
  });
  if (errs.length > 0) throw new SelectorError(aggregate(errs));
  return { key, operator, values };
}

/** utilerrors.Aggregate: one message alone, several as "[a, b]" (duplicates dropped). */
function aggregate(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? (unique[0] ?? '') : `[${unique.join(', ')}]`;
}

function isInteger(v: string): boolean {
  return /^[+-]?\d+$/.test(v);
}

function sortByKey(reqs: LabelRequirement[]): LabelRequirement[] {
  return [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// ---- matching and printing ----------------------------------------------------------------

function matchesOne(req: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.operator) {
    case 'In':
    case 'Equals':
      return has && value !== undefined && req.values.includes(value);
    case 'NotIn':
    case 'NotEquals':
      // Kubernetes: an object without the label satisfies != and notin
      return !has || value === undefined || !req.values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'GreaterThan':
    case 'LessThan': {
      const bound = req.values[0];
      if (!has || value === undefined || !isInteger(value) || bound === undefined || !isInteger(bound)) return false;
      const [v, b] = [BigInt(value), BigInt(bound)];
      return req.operator === 'GreaterThan' ? v > b : v < b;
    }
  }
}

/** All requirements hold (an empty list matches everything). */
export function matchesLabels(reqs: readonly LabelRequirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const set = labels ?? {};
  return reqs.every((r) => matchesOne(r, set));
}

const OPERATOR_TEXT: Record<LabelOperator, string> = {
  In: ' in ',
  NotIn: ' notin ',
  Equals: '=',
  NotEquals: '!=',
  GreaterThan: '>',
  LessThan: '<',
  Exists: '',
  DoesNotExist: '',
};

/** Selector.String(): "a=b,c in (x,y),!d" — what printers show in SELECTOR columns. */
export function formatLabelRequirements(reqs: readonly LabelRequirement[]): string {
  return reqs
    .map((r) => {
      if (r.operator === 'Exists') return r.key;
      if (r.operator === 'DoesNotExist') return `!${r.key}`;
      const values = [...r.values].sort().join(',');
      const set = r.operator === 'In' || r.operator === 'NotIn';
      return `${r.key}${OPERATOR_TEXT[r.operator]}${set ? `(${values})` : values}`;
    })
    .join(',');
}

const EXPRESSION_OPERATORS: Record<string, LabelOperator> = { In: 'In', NotIn: 'NotIn', Exists: 'Exists', DoesNotExist: 'DoesNotExist' };

/** metav1.LabelSelectorAsSelector for a non-nil selector: matchLabels become Equals; empty means everything. */
export function labelSelectorFromObject(sel: {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}): LabelRequirement[] {
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) reqs.push(newRequirement(key, 'Equals', [value]));
  for (const expr of sel.matchExpressions ?? []) {
    const operator = EXPRESSION_OPERATORS[expr.operator];
    if (!operator) throw new SelectorError(`${goQuote(expr.operator)} is not a valid label selector operator`);
    reqs.push(newRequirement(expr.key, operator, [...(expr.values ?? [])]));
  }
  return sortByKey(reqs);
}

/** labelSelectorFromObject for an untyped JSON value (a manifest's spec.selector); throws SelectorError on bad shape. */
export function labelSelectorFromJson(value: JsonValue | undefined): LabelRequirement[] {
  if (!isJsonObject(value)) throw new SelectorError('a label selector must be an object');
  const matchLabels: Record<string, string> = {};
  if (isJsonObject(value.matchLabels)) {
    for (const [k, v] of Object.entries(value.matchLabels)) matchLabels[k] = typeof v === 'string' ? v : String(v);
  }
  const matchExpressions = (Array.isArray(value.matchExpressions) ? value.matchExpressions : []).filter(isJsonObject).map((e) => ({
    key: typeof e.key === 'string' ? e.key : '',
    operator: typeof e.operator === 'string' ? e.operator : '',
    values: Array.isArray(e.values) ? e.values.map(String) : [],
  }));
  return labelSelectorFromObject({ matchLabels, matchExpressions });
}

