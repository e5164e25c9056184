/** The fault suite's closing lines for one outage: what was submitted and how it all settled. */
export function printOutage(outage: string, counts: Record<string, string | number>): void {
  const body = Object.entries(counts).map(([k, v]) => `  ${k}: ${v}`).join('\n');
  console.log(`[fault suite] ${outage}\n${body}`);
}
