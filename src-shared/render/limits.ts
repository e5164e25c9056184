/**
 * Discord's length limits, the one place they live (NOTES §2.3). Lengths are UTF-16 code units, as
 * JavaScript's `.length` counts them and as sim/discord checks; an emoji counts 2 or more. That is never
 * fewer than Discord's own count, so text cut to these limits is accepted however Discord counts.
 */
export const embedLimits = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  total: 6000,
} as const;

/** Discord's message and upload limits (NOTES §2.3). */
export const messageLimits = {
  content: 2000,
  fileBytes: 10 * 1024 * 1024,
  requestBytes: 25 * 1024 * 1024,
  attachments: 10,
} as const;

/** Buttons, select menus and modals (NOTES §2.3 and the Modal row). */
export const componentLimits = {
  customId: 100,
  buttonLabel: 80,
  selectOption: 100,
  modalTitle: 45,
  label: 45,
  labelDescription: 100,
  placeholder: 100,
} as const;

/** Autocomplete answers: at most 25 choices, each name and string value 1–100. */
export const autocompleteLimits = {
  choices: 25,
  choiceName: 100,
  choiceValue: 100,
} as const;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const letterWithMarks = /^\P{M}\p{M}+$/u;

/** The longest prefix of `text` within `budget` code units that ends on a code point boundary. */
function codePointPrefix(text: string, budget: number): string {
  let end = 0;
  for (const char of text) {
    if (end + char.length > budget) break;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * Cuts `text` to at most `max` UTF-16 code units, marking the cut with `ellipsis`. The cut falls
 * between graphemes (a flag, a ZWJ family or a letter with its accents stays whole), so no half
 * emoji or lone surrogate is ever sent. When even the first grapheme does not fit, a letter piled
 * with combining marks (Zalgo text) keeps its letter and the marks that fit; any other grapheme (an
 * emoji sequence) is left out whole. Lone surrogates already in `text`
 * become U+FFFD (same length), so the result is always well-formed.
 */
export function truncate(text: string, max: number, ellipsis = '…'): string {
  if (text.length <= max) return text.toWellFormed();
  const mark = ellipsis.length <= max ? ellipsis : '';
  const budget = max - mark.length;
  let end = 0;
  for (const { segment, index } of graphemes.segment(text)) {
    if (index + segment.length > budget) {
      if (end === 0 && letterWithMarks.test(segment)) return (codePointPrefix(segment, budget) + mark).toWellFormed();
      break;
    }
    end = index + segment.length;
  }
  return (text.slice(0, end) + mark).toWellFormed();
}
