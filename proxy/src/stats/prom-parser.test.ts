import { describe, expect, it } from '@jest/globals';
import { parsePrometheusText } from './prom-parser.js';

describe('Prometheus text parser', () => {
  it('reads samples with and without labels, skipping comments and blank lines', () => {
    const { samples, badLines } = parsePrometheusText(
      ['# HELP vllm:num_requests_running Running.', '# TYPE vllm:num_requests_running gauge', '', 'vllm:num_requests_running{model_name="m"} 3', 'up 1', '# EOF'].join('\n'),
    );
    expect(samples).toEqual([
      { name: 'vllm:num_requests_running', labels: { model_name: 'm' }, value: 3 },
      { name: 'up', labels: {}, value: 1 },
    ]);
    expect(badLines).toBe(0);
  });

  it('unescapes label values: backslash, quote and newline', () => {
    const { samples } = parsePrometheusText('m{path="C:\\\\dir",quote="say \\"hi\\"",nl="a\\nb"} 1');
    expect(samples[0]!.labels).toEqual({ path: 'C:\\dir', quote: 'say "hi"', nl: 'a\nb' });
  });

  it('allows spaces around labels, a trailing comma, and commas or braces inside values', () => {
    const { samples } = parsePrometheusText('m{ a = "x,}y" , b="2", } 5');
    expect(samples[0]).toEqual({ name: 'm', labels: { a: 'x,}y', b: '2' }, value: 5 });
  });

  it('reads NaN, +Inf, -Inf, exponents and a timestamp', () => {
    const { samples } = parsePrometheusText(['a NaN', 'b +Inf', 'c -Inf', 'd 1.5e3', 'e 7 1712345678901', 'f{le="+Inf"} 4'].join('\n'));
    expect(samples[0]!.value).toBeNaN();
    expect(samples.slice(1).map((s) => s.value)).toEqual([Infinity, -Infinity, 1500, 7, 4]);
    expect(samples[4]!.timestampMs).toBe(1712345678901);
    expect(samples[5]!.labels.le).toBe('+Inf');
  });

  it('copes with CRLF line endings and indentation', () => {
    const { samples } = parsePrometheusText('a 1\r\n  b 2\r\n');
    expect(samples.map((s) => [s.name, s.value])).toEqual([['a', 1], ['b', 2]]);
  });

  it('counts malformed lines and keeps going', () => {
    const { samples, badLines } = parsePrometheusText(['good 1', '9bad 1', 'm{a="unterminated} 1', 'm{a="x"} notanumber', 'm 1 2 3', 'm', 'after 2'].join('\n'));
    expect(samples.map((s) => s.name)).toEqual(['good', 'after']);
    expect(badLines).toBe(5);
  });

  it('skips families the caller does not want before parsing their labels', () => {
    const { samples, badLines } = parsePrometheusText('keep 1\ndrop{broken 2\nkeep 3', (name) => name === 'keep');
    expect(samples.map((s) => s.value)).toEqual([1, 3]);
    expect(badLines).toBe(0);
  });
});
