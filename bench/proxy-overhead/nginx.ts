import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tailOf, type Children } from './children.js';
import { freePort, waitForPort } from './net-util.js';
import { nginxBinary } from './tools.js';

/**
 * nginx as a plain reverse proxy: upstream keepalive, HTTP/1.1 to the upstream, no access log,
 * proxy_buffering off (what SSE needs), keepalive_requests raised so no side closes connections
 * every 1,000 requests (the 1.19.10+ default), in the foreground with a config in `dir`.
 */
export function nginxConfig(dir: string, port: number, upstreamPort: number, workers: string): string {
  const asRoot = process.getuid?.() === 0;
  return `${asRoot ? 'user root;\n' : ''}worker_processes ${workers};
daemon off;
master_process on;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  upstream engine {
    server 127.0.0.1:${upstreamPort};
    keepalive 128;
    keepalive_requests 10000000;
    keepalive_timeout 120s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://engine;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`;
}

export async function startNginx(children: Children, dir: string, upstreamPort: number, workers: string): Promise<{ child: ChildProcess; port: number }> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, port, upstreamPort, workers));
  const child = children.spawn(nginxBinary(), ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = tailOf(child, 'stderr');
  try {
    await waitForPort(port, 10_000, () => child.exitCode !== null || child.signalCode !== null);
  } catch (err) {
    throw new Error(`nginx did not start: ${err instanceof Error ? err.message : String(err)}\n${stderr()}`, { cause: err });
  }
  return { child, port };
}
