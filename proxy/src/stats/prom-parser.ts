import { dictionary } from '@vllm-router/common';
/** One sample of the Prometheus text exposition format. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch, when the line carried a timestamp. */
  timestampMs?: number;
}

export interface PromParseResult {
  samples: PromSample[];
  /** Lines that were neither comments nor well-formed samples; they are skipped, never fatal. */
  badLines: number;
}

const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58; // a-z A-Z _ :
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57);
const isSpace = (c: number) => c === 32 || c === 9;

/**
 * A small, forgiving parser for the Prometheus text format (version 0.0.4, and the sample lines of
 * OpenMetrics): comments and blank lines are skipped, label values may hold escaped `\\`, `\"` and
 * `\n`, values may be NaN or ±Inf, and an optional timestamp may follow. A malformed line is counted
 * and skipped so one odd exporter line never hides the rest. `wanted` skips families early (cheaper).
 */
export function parsePrometheusText(text: string, wanted?: (name: string) => boolean): PromParseResult {
  const samples: PromSample[] = [];
  let badLines = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    start = end + 1;
    const result = parseLine(line, wanted);
    if (result === 'bad') badLines++;
    else if (result !== 'skip') samples.push(result);
  }
  return { samples, badLines };
}

function parseLine(line: string, wanted: ((name: string) => boolean) | undefined): PromSample | 'skip' | 'bad' {
  let i = 0;
  while (i < line.length && isSpace(line.charCodeAt(i))) i++;
  if (i === line.length || line.charCodeAt(i) === 35 /* # */) return 'skip';
  const nameStart = i;
  if (!isNameStart(line.charCodeAt(i))) return 'bad';
  while (i < line.length && isNameChar(line.charCodeAt(i))) i++;
  const name = line.slice(nameStart, i);
  if (wanted && !wanted(name)) return 'skip';

  const labels = dictionary<string>(); // label names come from the engine
  if (line.charCodeAt(i) === 123 /* { */) {
    const after = parseLabels(line, i + 1, labels);
    if (after < 0) return 'bad';
    i = after;
  }
  const fields = line.slice(i).trim().split(/[ \t]+/);
  if (fields.length < 1 || fields.length > 2 || fields[0] === '') return 'bad';
  const value = parseValue(fields[0]!);
  if (value === undefined) return 'bad';
  const sample: PromSample = { name, labels, value };
  if (fields.length === 2) {
    const ts = Number(fields[1]);
    if (!Number.isFinite(ts)) return 'bad';
    sample.timestampMs = ts;
  }
  return sample;
}

/** Parses `a="x",b="y"}` from `i`; returns the index after `}`, or -1 when malformed. */
function parseLabels(line: string, i: number, out: Record<string, string>): number {
  for (;;) {
    while (i < line.length && isSpace(line.charCodeAt(i))) i++;
    if (line.charCodeAt(i) === 125 /* } */) return i + 1;
    const keyStart = i;
    if (!isNameStart(line.charCodeAt(i)) || line.charCodeAt(i) === 58) return -1;
    while (i < line.length && isNameChar(line.charCodeAt(i))) i++;
    const key = line.slice(keyStart, i);
    while (i < line.length && isSpace(line.charCodeAt(i))) i++;
    if (line.charCodeAt(i) !== 61 /* = */) return -1;
    i++;
    while (i < line.length && isSpace(line.charCodeAt(i))) i++;
    if (line.charCodeAt(i) !== 34 /* " */) return -1;
    i++;
    let value = '';
    let runStart = i;
    for (;;) {
      if (i >= line.length) return -1;
      const c = line.charCodeAt(i);
      if (c === 34) break;
      if (c === 92 /* \ */) {
        value += line.slice(runStart, i);
        const next = line[i + 1];
        if (next === undefined) return -1;
        value += next === 'n' ? '\n' : next;
        i += 2;
        runStart = i;
        continue;
      }
      i++;
    }
    value += line.slice(runStart, i);
    out[key] = value;
    i++;
    while (i < line.length && isSpace(line.charCodeAt(i))) i++;
    if (line.charCodeAt(i) === 44 /* , */) i++;
    else if (line.charCodeAt(i) !== 125) return -1;
  }
}

function parseValue(raw: string): number | undefined {
  switch (raw) {
    case 'NaN':
      return NaN;
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
  }
  const value = Number(raw);
  return Number.isNaN(value) ? undefined : value;
}
