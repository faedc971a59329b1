import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Children } from './children.js';
import { tailOf } from './children.js';

export interface WrkOptions {
  url: string;
  seconds: number;
  threads: number;
  connections: number;
  script: string;
}

export interface WrkResult {
  rps: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  p50Ms: number;
  p99Ms: number;
}

/** A wrk lua script that POSTs `body` as JSON. */
export function writeWrkScript(dir: string, body: string): string {
  const path = join(dir, 'post.lua');
  const quoted = body.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  writeFileSync(path, `wrk.method = "POST"\nwrk.body = "${quoted}"\nwrk.headers["Content-Type"] = "application/json"\n`);
  return path;
}

function ms(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

/** Parses wrk's text report (run with --latency). */
export function parseWrk(text: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  if (!rps) throw new Error(`could not parse wrk output:\n${text}`);
  const requests = /(\d+) requests in/.exec(text);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(text);
    return m ? ms(m[1]!, m[2]!) : Number.NaN;
  };
  return {
    rps: Number(rps[1]),
    requests: requests ? Number(requests[1]) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock ? sock.slice(1).reduce((s, v) => s + Number(v), 0) : 0,
    p50Ms: pct('50'),
    p99Ms: pct('99'),
  };
}

/** Closed-loop maximum throughput: wrk with `connections` keep-alive connections for `seconds`. */
export async function runWrk(children: Children, o: WrkOptions): Promise<WrkResult> {
  const args = ['-t', String(o.threads), '-c', String(o.connections), '-d', `${o.seconds}s`, '--timeout', '5s', '--latency', '-s', o.script, o.url];
  const child = children.spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = tailOf(child, 'stdout', 20_000);
  const stderr = tailOf(child, 'stderr');
  const timer = setTimeout(() => void children.stop(child, 500), (o.seconds + 15) * 1000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${stderr()}\n${stdout()}`);
  return parseWrk(stdout());
}
