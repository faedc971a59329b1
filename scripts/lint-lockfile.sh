#!/usr/bin/env bash
# The lockfile check `make test` runs: complete and in step with the package.json files
# (scripts/check-lockfile.mjs), then lockfile-lint for where packages come from: only the npm registry,
# only https, sha512 integrity, and each resolved URL naming its package (the aliases listed are the
# npm: aliases jest and @isaacs/cliui install on purpose).
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/check-lockfile.mjs
lockfile-lint --path package-lock.json --type npm --allowed-hosts npm --validate-https \
  --validate-integrity --validate-package-names \
  --allowed-package-name-aliases @jest/react-is-18:react-is @jest/react-is-19:react-is \
  string-width-cjs:string-width strip-ansi-cjs:strip-ansi wrap-ansi-cjs:wrap-ansi
