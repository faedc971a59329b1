import { execFileSync, spawnSync } from 'node:child_process';

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

const NGINX = '/usr/sbin/nginx';

/** Path of the nginx binary (Debian puts it in /usr/sbin, often not on PATH). */
export function nginxBinary(): string {
  return onPath('nginx') ? 'nginx' : NGINX;
}

function haveNginx(): boolean {
  return onPath('nginx') || spawnSync(NGINX, ['-v'], { stdio: 'ignore' }).status === 0;
}

/** Installs the Debian packages wrk and nginx-light when missing (needs root and apt-get). */
export function ensureTools(log: (line: string) => void): void {
  const missing = [...(onPath('wrk') ? [] : ['wrk']), ...(haveNginx() ? [] : ['nginx-light'])];
  if (missing.length === 0) return;
  if (!onPath('apt-get')) throw new Error(`missing ${missing.join(', ')} and no apt-get to install them`);
  log(`installing ${missing.join(', ')} with apt-get ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'ignore', env }).status === 0;
  if (!install()) {
    execFileSync('apt-get', ['update'], { stdio: 'ignore', env });
    if (!install()) throw new Error(`apt-get install ${missing.join(' ')} failed`);
  }
}
