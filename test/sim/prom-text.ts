import type { Histogram } from './histogram.js';

/** Prometheus text exposition (format 0.0.4), written by hand: # HELP, # TYPE, then samples. */
export type Labels = Record<string, string>;

export class PromText {
  private readonly lines: string[] = [];

  gauge(name: string, help: string, samples: Array<[Labels, number]>): this {
    return this.family(name, 'gauge', help, samples);
  }

  /** Counter names carry the _total suffix in HELP/TYPE too, as Python's prometheus_client (vLLM, SGLang) writes them. */
  counter(name: string, help: string, samples: Array<[Labels, number]>): this {
    return this.family(name, 'counter', help, samples);
  }

  histogram(name: string, help: string, labels: Labels, histogram: Histogram): this {
    this.header(name, 'histogram', help);
    let cumulative = 0;
    histogram.buckets.forEach((le, i) => {
      cumulative += histogram.counts[i];
      this.sample(`${name}_bucket`, { ...labels, le: String(le) }, cumulative);
    });
    this.sample(`${name}_bucket`, { ...labels, le: '+Inf' }, histogram.count);
    this.sample(`${name}_count`, labels, histogram.count);
    this.sample(`${name}_sum`, labels, histogram.sum);
    return this;
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }

  private family(name: string, type: string, help: string, samples: Array<[Labels, number]>): this {
    this.header(name, type, help);
    for (const [labels, value] of samples) this.sample(name, labels, value);
    return this;
  }

  private header(name: string, type: string, help: string): void {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
  }

  private sample(name: string, labels: Labels, value: number): void {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    this.lines.push(`${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`);
  }
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
