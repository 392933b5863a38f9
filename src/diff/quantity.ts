/**
 * Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource), compared by value.
 *
 * The API server re-serialises every quantity in canonical form (`1000m` -> `1`,
 * `1.5Gi` -> `1536Mi`, `0.5` -> `500m`), so a manifest and its live object can spell the
 * same value differently. Quantities carry at most 3 decimal places ("0.1m rounds up to
 * 1m"), so a value is exactly a BigInt count of thousandths.
 *
 * `canonicalQuantity` maps every spelling of a value to one string, whatever the suffix
 * family it was written in: `1Gi` and `1073741824` both become `1Gi`. It is a comparison
 * key that reads like a quantity, not a claim about the server's own serialisation (which
 * keeps the family the value was written in).
 */

const BINARY: Readonly<Record<string, bigint>> = {
  Ki: 1024n,
  Mi: 1024n ** 2n,
  Gi: 1024n ** 3n,
  Ti: 1024n ** 4n,
  Pi: 1024n ** 5n,
  Ei: 1024n ** 6n,
};
/** decimal SI suffix -> power of ten */
const DECIMAL: Readonly<Record<string, number>> = { m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const PATTERN = /^([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|m|k|M|G|T|P|E|)$/;

/** Ceiling division for a positive divisor (quantities round up, away from zero for positives). */
function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

/** Value of a quantity string in thousandths, or undefined when it is not a quantity. */
export function parseQuantityMilli(text: string): bigint | undefined {
  const m = PATTERN.exec(text.trim());
  if (m === null) return undefined;
  const [, sign = '', number = '', suffix = ''] = m;
  const [whole = '', frac = ''] = number.split('.');
  // number = digits / 10^frac.length
  let numerator = BigInt(`${whole}${frac}` || '0');
  let denominator = 10n ** BigInt(frac.length);
  numerator *= 1000n; // to thousandths
  if (Object.hasOwn(BINARY, suffix)) {
    numerator *= BINARY[suffix] as bigint;
  } else {
    const exp = suffix.startsWith('e') || suffix.startsWith('E') ? Number(suffix.slice(1)) : DECIMAL[suffix];
    if (exp === undefined || !Number.isFinite(exp) || Math.abs(exp) > 30) return undefined;
    if (exp >= 0) numerator *= 10n ** BigInt(exp);
    else denominator *= 10n ** BigInt(-exp);
  }
  const milli = ceilDiv(numerator, denominator);
  return sign === '-' ? -milli : milli;
}

const DECIMAL_SUFFIXES: readonly [bigint, string][] = [
  [10n ** 21n, 'E'],
  [10n ** 18n, 'P'],
  [10n ** 15n, 'T'],
  [10n ** 12n, 'G'],
  [10n ** 9n, 'M'],
  [10n ** 6n, 'k'],
  [10n ** 3n, ''],
];
const BINARY_SUFFIXES: readonly [bigint, string][] = Object.entries(BINARY)
  .map(([s, f]): [bigint, string] => [f * 1000n, s])
  .reverse();

/**
 * One spelling per value: the largest binary suffix when the value is a whole multiple of
 * 1024 but not of 1000 (memory sizes: `1Gi`, `512Mi`), else the largest decimal suffix
 * that leaves an integer (`1`, `500m`, `2k`). Not a quantity: the text unchanged.
 */
export function canonicalQuantity(text: string): string {
  const milli = parseQuantityMilli(text);
  if (milli === undefined) return text;
  if (milli === 0n) return '0';
  const sign = milli < 0n ? '-' : '';
  const abs = milli < 0n ? -milli : milli;
  if (abs % 1024000n === 0n && abs % 1000000n !== 0n) {
    for (const [factor, suffix] of BINARY_SUFFIXES) if (abs % factor === 0n) return `${sign}${abs / factor}${suffix}`;
  }
  for (const [factor, suffix] of DECIMAL_SUFFIXES) if (abs % factor === 0n) return `${sign}${abs / factor}${suffix}`;
  return `${sign}${abs}m`;
}
