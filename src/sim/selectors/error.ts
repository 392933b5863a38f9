/** A selector that does not parse; the message is apimachinery's, ready to return as a 400. */
export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}
