#!/usr/bin/env node
import { startOperator } from './main.js';
import { OperatorHelp, OperatorUsageError, parseOperatorArgs } from './options.js';

/** vllm-router-operator: start, and on SIGTERM/SIGINT release the Lease and stop. */
async function main(argv: string[]): Promise<void> {
  let options;
  try {
    options = parseOperatorArgs(argv, process.env);
  } catch (err) {
    if (err instanceof OperatorHelp) {
      process.stdout.write(`${err.text}\n`);
      return;
    }
    if (err instanceof OperatorUsageError) {
      process.stderr.write(`vllm-router-operator: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  const operator = await startOperator(options);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    operator.logger.info(`received ${signal}; stopping`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    void operator.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`vllm-router-operator: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
