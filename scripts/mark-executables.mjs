// npm links workspace bins before they are built; make the built entry points executable.
import { chmodSync, existsSync } from 'node:fs';
for (const bin of ['proxy/dist/cli.js', 'operator/dist/cli.js', 'test/dist/sim/cli.js']) {
  if (existsSync(bin)) chmodSync(bin, 0o755);
}
