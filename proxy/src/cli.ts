#!/usr/bin/env node
import { main } from './app/main.js';

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`vllm-router: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
