/** A character refused in user text: where it is and how to name it to the member. */
export interface UnsafeCharacter {
  index: number;
  /** e.g. `U+0000` */
  codePoint: string;
  kind: 'control character' | 'broken character';
}

// C0 controls except tab, newline and carriage return; DEL; C1 controls. Postgres cannot store NUL
// at all, and the others are invisible junk in a prompt, an embed or a model name.
const isControl = (unit: number) => (unit <= 0x1f && unit !== 0x09 && unit !== 0x0a && unit !== 0x0d) || (unit >= 0x7f && unit <= 0x9f);
const isHigh = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

const hex = (unit: number) => `U+${unit.toString(16).toUpperCase().padStart(4, '0')}`;

/** The first control character or lone surrogate in `text`, or null when it is clean. Pure. */
export function findUnsafeCharacter(text: string): UnsafeCharacter | null {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (isControl(unit)) return { index: i, codePoint: hex(unit), kind: 'control character' };
    if (isHigh(unit) && isLow(text.charCodeAt(i + 1))) i++;
    else if (isHigh(unit) || isLow(unit)) return { index: i, codePoint: hex(unit), kind: 'broken character' };
  }
  return null;
}

/** Length as Discord counts it for option and field limits: code points (its API is Python), not UTF-16 units. */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
