// Preloaded into a role's process (`node --expose-gc --import ./bench/lib/memory-probe.ts role/main.ts`):
// on SIGUSR2 it collects garbage and prints one `MEMORY {json}` line with process.memoryUsage().
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  process.stdout.write(`MEMORY ${JSON.stringify(process.memoryUsage())}\n`);
});
