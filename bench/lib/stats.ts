export interface Summary {
  n: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  avg: number;
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
  return {
    n: s.length,
    min: s[0] ?? NaN,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: s.at(-1) ?? NaN,
    avg: s.reduce((a, b) => a + b, 0) / (s.length || 1),
  };
}

export function formatSummary(label: string, s: Summary, unit = 'ms'): string {
  const f = (v: number) => v.toFixed(1);
  return `${label.padEnd(34)} n=${String(s.n).padStart(4)}  p50=${f(s.p50)}${unit}  p95=${f(s.p95)}${unit}  p99=${f(s.p99)}${unit}  min=${f(s.min)}${unit}  max=${f(s.max)}${unit}  avg=${f(s.avg)}${unit}`;
}
