import { AppError, ErrorCode } from '#shared/errors.ts';
import { refusalMessage } from './describe.ts';
import type { Refusal } from './refusal.ts';

/** A request the limiter refused; its message is what the user sees (ephemerally). */
export class LimitError extends AppError {
  readonly refusal: Refusal;

  constructor(refusal: Refusal, now: Date) {
    super(ErrorCode.LimitExceeded, refusalMessage(refusal, now), { expose: true, details: refusal });
    this.name = 'LimitError';
    this.refusal = refusal;
  }
}
