export interface Spelling {
  name: string;
  target: string;
  /**
   * `alias`: the same resource (absolute form, empty query), must reach the route.
   * `odd`: another path under exact matching, must be 404 even with the token.
   * `other`: may reach a route with an odd parameter (e.g. `/models/..` is id `..`); never a bypass.
   */
  kind: 'alias' | 'odd' | 'other';
}

const pct = (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

const segments = (path: string) => path.split('/').slice(1);
const join = (parts: string[]) => `/${parts.join('/')}`;

/** Ways to write `path` that a lax router, proxy or auth check might take for it. */
export function spellingsOf(path: string, origin: string): Spelling[] {
  const parts = segments(path);
  const letters = (f: (c: string, i: number) => string) => [...path].map((c, i) => (/[a-z]/i.test(c) ? f(c, i) : c)).join('');
  const spellings: Spelling[] = [
    { name: 'as registered', target: path, kind: 'alias' },
    { name: 'empty query', target: `${path}?`, kind: 'alias' },
    { name: 'absolute form', target: `${origin}${path}`, kind: 'alias' },
    { name: 'absolute form, other host', target: `http://admin.example${path}`, kind: 'alias' },
    { name: 'upper case', target: path.toUpperCase(), kind: 'odd' },
    { name: 'mixed case', target: letters((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())), kind: 'odd' },
    { name: 'capitalised segments', target: join(parts.map((s) => s.charAt(0).toUpperCase() + s.slice(1))), kind: 'odd' },
    { name: 'absolute form, upper case', target: `${origin}${path.toUpperCase()}`, kind: 'odd' },
    { name: 'trailing slash', target: `${path}/`, kind: 'odd' },
    { name: 'doubled slashes', target: path.replaceAll('/', '//'), kind: 'odd' },
    { name: 'leading double slash', target: `/${path}`, kind: 'odd' },
    { name: 'double slash before the last segment', target: `${join(parts.slice(0, -1))}//${parts.at(-1)}`, kind: 'odd' },
    { name: 'first letter of each segment percent-encoded', target: join(parts.map((s) => (s ? pct(s[0]!) + s.slice(1) : s))), kind: 'odd' },
    { name: 'every letter percent-encoded (upper hex)', target: letters((c) => pct(c).toUpperCase()), kind: 'odd' },
    { name: 'slashes percent-encoded', target: `/${parts.join('%2F')}`, kind: 'odd' },
    { name: 'dot segment', target: join([parts[0]!, '.', ...parts.slice(1)]), kind: 'odd' },
    { name: 'dot-dot segment', target: join([parts[0]!, 'x', '..', ...parts.slice(1)]), kind: 'odd' },
    { name: 'encoded dot-dot segment', target: join([parts[0]!, 'x', '%2e%2e', ...parts.slice(1)]), kind: 'odd' },
    { name: 'backslashes', target: `/${parts.join('\\')}`, kind: 'odd' },
    { name: 'trailing dot segment', target: `${path}/.`, kind: 'other' },
    { name: 'trailing dot-dot segment', target: `${path}/..`, kind: 'other' },
    { name: 'trailing dot and slash', target: `${path}/./`, kind: 'other' },
    { name: 'climb above the root', target: `/../..${path}`, kind: 'other' },
    // A route ending in a parameter takes these as part of its value.
    { name: 'semicolon parameter', target: `${path};a=b`, kind: 'other' },
    { name: 'encoded NUL', target: `${path}%00`, kind: 'other' },
  ];
  return spellings.filter((s, i) => s.kind !== 'odd' || (s.target !== path && spellings.findIndex((t) => t.target === s.target) === i));
}
