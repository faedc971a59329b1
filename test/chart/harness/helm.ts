/**
 * The helm binary of the local control plane (test/cluster/build.sh builds it), and charts/vllm-router
 * rendered with given values into parsed objects.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';

const execFileAsync = promisify(execFile);

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const CHART = join(REPO, 'charts', 'vllm-router');

/** A Kubernetes object as rendered; narrow with {@link one} and the client-node types. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

let helmPath: Promise<string> | undefined;

/** $HELM, the running cluster's .cluster/bin/helm, or the one build.sh keeps in its cache. */
export function helmBinary(): Promise<string> {
  helmPath ??= (async () => {
    if (process.env.HELM) return process.env.HELM;
    const linked = join(REPO, '.cluster', 'bin', 'helm');
    if (existsSync(linked)) return linked;
    const { stdout } = await execFileAsync('bash', [join(REPO, 'test', 'cluster', 'build.sh')], { maxBuffer: 16 << 20 });
    return join(stdout.trim().split('\n').pop() ?? '', 'helm');
  })();
  return helmPath;
}

/** Runs a program; never rejects on a non-zero exit (the code is in the result). */
export async function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, stdin?: string): Promise<RunResult> {
  const child = execFileAsync(file, args, { maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  // A program that exits before reading its stdin makes the write fail with EPIPE: its exit code says what happened.
  child.child.stdin?.on('error', () => undefined).end(stdin ?? '');
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

/** helm with the given arguments. Helm notes the chart's crds/ symlink on stderr; that line is dropped. */
export async function helm(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const result = await run(await helmBinary(), args, env);
  return { ...result, stderr: result.stderr.replace(/^.*found symbolic link in path.*\n?/gm, '') };
}

/** A values file holding `values` (JSON is YAML). */
export function valuesFile(values: object): string {
  const path = join(mkdtempSync(join(tmpdir(), 'chart-values-')), 'values.json');
  writeFileSync(path, JSON.stringify(values));
  return path;
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  /** Values files given before `values` (which wins). */
  valuesFiles?: string[];
}

/** `helm template` of the chart with `values`; rejects with helm's message when it fails. */
export async function templateText(values: object = {}, options: RenderOptions = {}): Promise<string> {
  const files = [...(options.valuesFiles ?? []), valuesFile(values)].flatMap((f) => ['-f', f]);
  const result = await helm(['template', options.release ?? 'vllm-router', CHART, '--namespace', options.namespace ?? 'llm', ...files]);
  if (result.code !== 0) throw new Error(result.stderr.trim());
  return result.stdout;
}

/** The rendered objects. */
export async function template(values: object = {}, options: RenderOptions = {}): Promise<Manifest[]> {
  return loadAll(await templateText(values, options)).filter((doc): doc is Manifest => typeof doc === 'object' && doc !== null && 'kind' in doc);
}

/** Objects of one kind (and name). */
export function all<T = Manifest>(docs: Manifest[], kind: string, name?: string): T[] {
  return docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name)) as T[];
}

/** The one object of a kind (and name); throws when there is not exactly one. */
export function one<T = Manifest>(docs: Manifest[], kind: string, name?: string): T {
  const found = all<T>(docs, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0] as T;
}
