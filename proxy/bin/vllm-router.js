#!/usr/bin/env node
// Committed launcher so npm links the bin at install time, before the TypeScript is built.
// The Node check comes first: on an old Node the dependencies fail with errors that don't say why.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(`vllm-router: needs Node.js >= 22.19 (24 LTS recommended); this is ${process.version}\n`);
  process.exit(1);
}
await import("../dist/cli.js");
