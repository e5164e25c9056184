// Image build step (Dockerfile): loads the bot's modules once with NODE_COMPILE_CACHE set, without
// running anything, so that even the first start of a container finds every file in the cache and
// never loads Node's TypeScript stripper (see bot/main.ts).
import { flushCompileCache, getCompileCacheDir } from 'node:module';

if (!getCompileCacheDir()) {
  process.stderr.write('warm-compile-cache: set NODE_COMPILE_CACHE to the folder to fill\n');
  process.exit(1);
}
await import('../bot/run-bot.ts');
// Loaded by the bot only with STORAGE_BACKEND=s3.
await import('../src-shared/storage/s3-from-config.ts');
flushCompileCache();
process.stdout.write(`compile cache filled in ${getCompileCacheDir()}\n`);
