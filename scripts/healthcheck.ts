// `node scripts/healthcheck.ts <url>`: exit 0 when the URL answers 2xx within the timeout, else 1 with
// one line. Container images have no curl; compose healthchecks call this instead.
const [url] = process.argv.slice(2);
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS ?? 3000);
if (!url) {
  process.stderr.write('usage: node scripts/healthcheck.ts <url>\n');
  process.exit(2);
}
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) {
    process.stderr.write(`${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}\n`);
    process.exit(1);
  }
} catch (err) {
  process.stderr.write(`${url} did not answer: ${(err as Error).message}\n`);
  process.exit(1);
}
