/** An Authorization header value and its credential part (after `Bearer `/`Basic `), to scrub both literally from logs. */
export function authorizationSecrets(header: string): string[] {
  const credential = header.replace(/^\S+\s+/, '');
  return credential === header ? [header] : [header, credential];
}
