#!/usr/bin/env node
// Committed launcher so npm links the bin at install time, before the TypeScript is built.
import "../dist/cli.js";
