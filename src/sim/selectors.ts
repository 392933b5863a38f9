/**
 * Label and field selectors as k8s.io/apimachinery parses and matches them. Error messages are
 * the apimachinery texts, so the server can return them verbatim (they already carry any
 * "unable to parse requirement: " prefix apimachinery adds).
 */
export { SelectorError } from './selectors/error.ts';
export {
  formatLabelRequirements,
  LABEL_OPERATORS,
  labelSelectorFromJson,
  labelSelectorFromObject,
  matchesLabels,
  parseLabelSelector,
  type LabelOperator,
  type LabelRequirement,
} from './selectors/labels.ts';
export { isSupportedField, matchesFields, parseFieldSelector, type FieldRequirement } from './selectors/fields.ts';
