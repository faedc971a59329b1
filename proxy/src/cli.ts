#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { main } from './app/main.js';

// Under load, V8's allocation-site pretenuring decides that some per-request object literals "always
// survive" and allocates them straight into old space; those dead old objects then keep the young
// request objects they point to alive through every scavenge (old-to-new remembered set) until the
// next Mark-Compact, so nearly every request was promoted: 5-20 ms scavenges and old space climbing
// ~20 -> 90 MB every 1-2 s. Without pretenuring, per-request garbage dies young (~1 ms scavenges).
// Set before main() starts serving; only affects where V8 allocates, not program behaviour.
setFlagsFromString('--no-allocation-site-pretenuring');

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`vllm-router: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
