export const censor = '[redacted]';

/** Key names whose values are secrets wherever they appear (`interactionToken`, `x-api-key`, `DB_PASSWORD`, …). */
export const secretKey = /(?:token|secret|passw(?:or)?d|pwd|authori[sz]ation|cookie|api[-_]?key|credentials?|signature)s?$/i;

// Literal values this process knows to be secret (see registerSecrets).
const knownSecrets = new Set<string>();

/**
 * Values shorter than this are not replaced literally: a short database password such as
 * "genonaut" would blank every mention of the word. The structural patterns below still catch it.
 */
export const minLiteralSecretLength = 12;

/** Any later occurrence of these exact values in a log line is replaced with `[redacted]`. */
export function registerSecrets(values: Iterable<string | undefined>): void {
  for (const v of values) if (v && v.length >= minLiteralSecretLength) knownSecrets.add(v);
}

const keyWords = 'token|access_token|refresh_token|secret|client_secret|password|passwd|pwd|api[-_]?key|key|sig|signature|auth|code';

// Each entry: a pattern and its replacement. Order matters: secrets are removed before bulk data is shortened.
const patterns: [RegExp, string | ((...m: string[]) => string)][] = [
  // Webhook and interaction tokens ride in the URL path: /webhooks/{id}/{token}, /interactions/{id}/{token}.
  [/\/(webhooks|interactions)\/(\d+|@me)\/[^/?#\s"'`]{8,}/g, `/$1/$2/${censor}`],
  // Authorization header values written out: "Bot xxx.yyy.zzz" (bot tokens always have dots, so
  // "Bot disconnected" stays), "Bearer xxx", "Basic xxx".
  [/\b(Bot)(\s+)[A-Za-z0-9_-]{8,}\.[A-Za-z0-9._-]+/g, `$1$2${censor}`],
  [/\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{8,}/g, `$1$2${censor}`],
  // Password in a URL: scheme://user:password@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s/@:]*):[^\s/@]*@/gi, `$1:${censor}@`],
  // Secret query parameters: ?token=…, &api_key=…, &sig=….
  [new RegExp(`([?&](?:${keyWords})=)[^&#\\s"'\`]+`, 'gi'), `$1${censor}`],
  // key=value and "key": "value" pairs in free text (libpq connection strings, response bodies).
  [/(password|passwd|pwd|secret|token|api[-_]?key)(\s*=\s*)(?:'[^']*'|"[^"]*"|[^\s&;,'"]+)/gi, `$1$2${censor}`],
  [/"([A-Za-z_-]*(?:token|secret|password|passwd|authorization|api[-_]?key))"(\s*:\s*)"(?:[^"\\]|\\.)*"/gi, `"$1"$2"${censor}"`],
  // Discord bot tokens and JWTs have a recognisable three-part shape even without a label.
  [/\b[A-Za-z0-9_-]{18,}\.[A-Za-z0-9_-]{5,7}\.[A-Za-z0-9_-]{20,}/g, censor],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, censor],
  // Bulk data written into text: data: URLs, long base64/hex runs, byte arrays as JSON.
  [/\bdata:([\w/+.-]*)((?:;[\w=-]+)*),[A-Za-z0-9+/=%_-]{32,}/g, (_m, type) => `data:${type};[data omitted]`],
  [/[A-Za-z0-9+/_-]{200,}={0,2}/g, (m) => `[${m.length} chars of encoded data omitted]`],
  [/(?:\d{1,3}\s*,\s*){63,}\d{1,3}/g, (m) => `[${m.split(',').length} numbers omitted]`],
];

/**
 * Text none of the patterns above can match: shorter than the 200-character encoded run, and
 * without the punctuation every other pattern needs (`/`, `:`, `?`, `&`, `=`, `"`, `,`, `.`)
 * or a `Bearer `/`Basic ` label. Ids, numbers and most messages are like this and skip the
 * patterns (a new pattern that could match such text must be reflected here; the test fuzzes it).
 */
export const patternFree = (text: string): boolean => text.length < 200 && !patternHint.test(text);
const patternHint = /[/:?&=",.]|\b(?:Bearer|Basic)\s/;

/** Every pattern above applied to `text`, in order. */
export function applyPatterns(text: string): string {
  let s = text;
  for (const [re, replacement] of patterns) s = s.replace(re, replacement as string);
  return s;
}

/**
 * Removes secrets and bulk data from one string and caps its length. Secrets are matched before
 * the cut (on a window a little past it), so a token straddling the limit is not half-kept.
 */
export function scrubText(text: string, maxLength = 2048): string {
  if (text.length < 8) return text;
  const original = text.length;
  let s = original > maxLength ? text.slice(0, maxLength + 512) : text;
  for (const secret of knownSecrets) if (s.includes(secret)) s = s.replaceAll(secret, censor);
  if (!patternFree(s)) s = applyPatterns(s);
  if (s.length > maxLength || original > maxLength) s = `${s.slice(0, maxLength)}…[${original} chars in all]`;
  return s;
}
