/**
 * How kustomize (kyaml on go-yaml v3) and kubectl read a plain YAML scalar that looks like a
 * number, where YAML 1.2's core schema would keep it a string or read it otherwise: go-yaml v3
 * drops every `_`, then tries Go's `strconv.ParseInt(s, 0, 64)` (so `0755` is the YAML 1.1
 * octal 493, as are `0o755` and `+0755`; `0x1F` is 31, `0b101` is 5), then ParseUint, then its
 * float pattern (`08` is 8, `1e3` is 1000). `kubectl kustomize` prints the resolved number, so
 * a file mode written `0755` reaches the cluster as 493 and must here too. Only scalars that
 * start with a digit, sign or dot are considered (go-yaml's hint table); `.inf`/`.nan` are
 * the caller's. Checked against `kubectl kustomize` (test/fixtures/kustomize/numbers).
 */

const NUMBER_START = /^[-+.0-9]/;
const GO_INT = /^([-+]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|(0[0-7]*)|([1-9][0-9]*))$/;
const YAML_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** The number go-yaml v3 resolves `plain` to, or undefined when it stays a string. */
export function resolveYamlNumber(plain: string): number | undefined {
  if (!NUMBER_START.test(plain)) return undefined;
  const digits = plain.replaceAll('_', '');
  const int = GO_INT.exec(digits);
  if (int !== null) {
    const [, sign, hex, oct, bin, leadingZero, dec] = int;
    const magnitude = hex !== undefined ? BigInt(`0x${hex}`) : oct !== undefined ? BigInt(`0o${oct}`) : bin !== undefined ? BigInt(`0b${bin}`)
      : leadingZero !== undefined ? BigInt(`0o${leadingZero.slice(1) || '0'}`) : BigInt(dec ?? '0');
    const value = sign === '-' ? -magnitude : magnitude;
    if (value >= INT64_MIN && value <= UINT64_MAX) return Number(value);
  }
  return YAML_FLOAT.test(digits) ? Number.parseFloat(digits) : undefined;
}

/** Plain scalars worth handing to resolveYamlNumber (a cheap pre-filter; it decides). */
export const YAML_NUMBER_CANDIDATE = /^[-+.0-9][-+._0-9a-fA-FoOxX]*$/;
