#!/usr/bin/env node
// Checks that package-lock.json is complete and in step with every package.json of the workspace,
// before `npm ci` sees it (npm's own failure for an incomplete entry is a bare "Invalid Version:").
// It uses nothing outside Node itself, so it runs before any dependency is installed.
//   complete: every installed package entry has a version, a resolved URL and an integrity hash;
//   in step: each workspace is in the lockfile, and the dependency ranges the lockfile recorded for the
//            root and each workspace are exactly those of its package.json (what `npm ci` insists on).
// Hosts, https and hash types are lockfile-lint's job (scripts/lint-lockfile.sh).
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(process.argv[2] ?? ".");
const problems = [];

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    console.error(`check-lockfile: cannot read ${path}: ${error.message}`);
    process.exit(2);
  }
}

const manifest = readJson(join(root, "package.json"));
const lock = readJson(join(root, "package-lock.json"));
const packages = lock.packages ?? {};

if (!(lock.lockfileVersion >= 2)) problems.push(`lockfileVersion is ${lock.lockfileVersion}; npm 7+ writes 3`);

const workspaces = manifest.workspaces ?? [];
const workspaceDirs = new Set(workspaces);
const dependencyFields = ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"];

for (const [key, entry] of Object.entries(packages)) {
  if (key === "" || workspaceDirs.has(key) || entry.link) continue;
  const missing = ["version", "resolved", "integrity"].filter((field) => !entry[field]);
  if (missing.length > 0) problems.push(`${key}: no ${missing.join(", ")}`);
}

function compareRanges(label, wanted, recorded) {
  for (const field of dependencyFields) {
    const want = wanted[field] ?? {};
    const have = recorded?.[field] ?? {};
    for (const name of new Set([...Object.keys(want), ...Object.keys(have)])) {
      if (want[name] !== have[name]) {
        problems.push(
          `${label} ${field}.${name}: package.json says ${want[name] ?? "(absent)"}, the lockfile ${have[name] ?? "(absent)"}`,
        );
      }
    }
  }
}

compareRanges("package.json", manifest, packages[""]);
for (const dir of workspaces) {
  const wsManifest = readJson(join(root, dir, "package.json"));
  const entry = packages[dir];
  if (!entry) {
    problems.push(`workspace ${dir} is not in the lockfile`);
    continue;
  }
  if (entry.version !== wsManifest.version) {
    problems.push(`workspace ${dir}: version ${wsManifest.version} in package.json, ${entry.version} in the lockfile`);
  }
  const link = packages[`node_modules/${wsManifest.name}`];
  if (!link?.link || link.resolved !== dir) problems.push(`workspace ${dir}: no link node_modules/${wsManifest.name} -> ${dir}`);
  compareRanges(`${dir}/package.json`, wsManifest, entry);
}

if (problems.length > 0) {
  console.error(`check-lockfile: package-lock.json is incomplete or out of step (${problems.length} problems):`);
  for (const problem of problems.slice(0, 20)) console.error(`  - ${problem}`);
  if (problems.length > 20) console.error(`  ... and ${problems.length - 20} more`);
  console.error("Fix: rm -rf node_modules package-lock.json && npm install, then commit package-lock.json");
  process.exit(1);
}
console.error(`check-lockfile: ok (${Object.keys(packages).length} entries, ${workspaces.length} workspaces)`);
