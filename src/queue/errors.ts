/**
 * How a handler says whether a failure is worth another try. Anything that is not an
 * OperationError is terminal: retrying a bug or a bad manifest only repeats it.
 */

export const RETRY_CLASSES = ['terminal', 'retryable', 'requeue-after'] as const;
export type RetryClass = (typeof RETRY_CLASSES)[number];

export class OperationError extends Error {
  override readonly name = 'OperationError';

  constructor(
    message: string,
    readonly retry: RetryClass,
    readonly options: {
      /** for 'requeue-after': run again after this long, without using up an attempt */
      readonly requeueAfterMs?: number;
      readonly cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }

  static retryable(message: string, cause?: unknown): OperationError {
    return new OperationError(message, 'retryable', { cause });
  }

  static terminal(message: string, cause?: unknown): OperationError {
    return new OperationError(message, 'terminal', { cause });
  }

  static requeueAfter(ms: number, message: string): OperationError {
    return new OperationError(message, 'requeue-after', { requeueAfterMs: ms });
  }
}

export function retryClassOf(err: unknown): RetryClass {
  return err instanceof OperationError ? err.retry : 'terminal';
}
