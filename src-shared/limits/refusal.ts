import type { WindowName } from './windows.ts';

/** Why a request was not admitted, with the numbers the user needs to act on it. */
export type Refusal =
  | { kind: 'blocked' }
  /** `because` names the window when the batch is larger than a whole window allows. */
  | { kind: 'batch'; requested: number; max: number; because?: WindowName }
  | { kind: 'steps'; requested: number; max: number }
  | { kind: 'pixels'; width: number; height: number; max: number }
  | { kind: 'window'; window: WindowName; used: number; limit: number; requested: number; freesAt: Date }
  | { kind: 'active'; active: number; limit: number }
  | { kind: 'line'; waiting: number; cap: number; waitSeconds: number | null }
  /** Refused, but the numbers read afterwards show room again: another request of the user just finished. */
  | { kind: 'contended' };

export type RefusalKind = Refusal['kind'];
