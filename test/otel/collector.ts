import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUILD = fileURLToPath(new URL('./build.sh', import.meta.url));

/** A span as the collector's file exporter writes it (OTLP JSON). */
export interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  status?: { code?: number };
  serviceName: string;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}

const valueOf = (v: OtlpValue): string | number | boolean => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? v.boolValue ?? ''));
const attrs = (list: OtlpAttribute[] | undefined) => Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]));

/** Builds (or finds cached) the collector binary; the build script prints how long a build took. */
export function collectorBinary(): string {
  const r = spawnSync('bash', [BUILD], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 20 * 60_000 });
  if (r.status !== 0) throw new Error(`test/otel/build.sh failed (${r.status})`);
  return r.stdout.trim().split('\n').pop()!;
}

async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Collector {
  /** host:port of its OTLP/gRPC receiver, in the reference's --otel-endpoint form. */
  endpoint: string;
  /** Every span written to the file so far. */
  spans(): Promise<ExportedSpan[]>;
  close(): Promise<void>;
}

/** A real OpenTelemetry Collector on loopback: OTLP/gRPC in, JSON lines in a file out. */
export async function startCollector(host = '127.0.0.1'): Promise<Collector> {
  const bin = collectorBinary();
  const dir = await mkdtemp(join(tmpdir(), 'otelcol-'));
  const port = await freePort(host);
  const out = join(dir, 'traces.jsonl');
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    [
      'receivers:',
      '  otlp:',
      '    protocols:',
      '      grpc:',
      `        endpoint: ${host}:${port}`,
      'exporters:',
      '  file:',
      `    path: ${out}`,
      '    flush_interval: 100ms',
      'service:',
      '  telemetry:',
      '    metrics:',
      '      level: none',
      '  pipelines:',
      '    traces:',
      '      receivers: [otlp]',
      '      exporters: [file]',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(bin, ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start:\n${log}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('Everything is ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited with ${code}:\n${log}`));
    });
  });
  return {
    endpoint: `${host}:${port}`,
    spans: async () => {
      const text = await readFile(out, 'utf8').catch(() => '');
      const spans: ExportedSpan[] = [];
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        const doc = JSON.parse(line) as { resourceSpans?: Array<{ resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: Array<{ spans?: Array<Omit<ExportedSpan, 'attributes' | 'serviceName'> & { attributes?: OtlpAttribute[] }> }> }> };
        for (const rs of doc.resourceSpans ?? []) {
          const serviceName = String(attrs(rs.resource?.attributes)['service.name'] ?? '');
          for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, attributes: attrs(s.attributes), serviceName });
        }
      }
      return spans;
    },
    close: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
