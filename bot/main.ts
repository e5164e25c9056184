// `npm run bot`: the Discord gateway process. The compile cache is switched on before anything else
// is loaded: with it Node reads the stripped TypeScript of a previous start (or of the image build,
// scripts/warm-compile-cache.ts) instead of loading its type stripper, WebAssembly whose memory is
// never given back, which saves the bot ~20 MB of RSS and start-up time. NODE_COMPILE_CACHE names
// the folder (default: the OS temp folder); NODE_DISABLE_COMPILE_CACHE=1 switches it off.
import { enableCompileCache } from 'node:module';

enableCompileCache();
const { runBot } = await import('./run-bot.ts');
await runBot();
