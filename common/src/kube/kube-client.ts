import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError } from './kube-errors.js';

export type KubeMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type KubeQuery = Record<string, string | number | boolean | undefined>;

export interface KubeRequest {
  method?: KubeMethod;
  /** Absolute API path, e.g. `/api/v1/namespaces/default/pods`. */
  path: string;
  query?: KubeQuery;
  body?: unknown;
  /** Default application/json; patches name their kind (merge, apply-patch+yaml). */
  contentType?: string;
  signal?: AbortSignal;
  /** Whole-request limit for ordinary calls (default 30 s); for streams, the longest silence allowed. */
  timeoutMs?: number;
}

/** Content types for PATCH. Server-side apply accepts JSON (JSON is YAML). */
export const PATCH = {
  merge: 'application/merge-patch+json',
  apply: 'application/apply-patch+yaml',
  json: 'application/json-patch+json',
} as const;

/**
 * A small JSON client for the Kubernetes API on top of client-node's KubeConfig (which supplies the
 * server, TLS material and credentials, including in-cluster service-account tokens). Plain REST
 * keeps every call explicit: server-side apply, status subresources and watches all go through
 * `request`/`stream`, with failures as KubeApiError carrying a stable code.
 * Objects come back as parsed JSON: fields client-node types as Date hold RFC 3339 strings.
 */
export class KubeClient {
  constructor(readonly config: KubeConfig) {}

  /** From a kubeconfig file, else $KUBECONFIG / ~/.kube/config / the in-cluster service account. */
  static load(kubeconfigPath?: string): KubeClient {
    const config = new KubeConfig();
    if (kubeconfigPath) config.loadFromFile(kubeconfigPath);
    else if (process.env.KUBECONFIG || process.env.KUBERNETES_SERVICE_HOST || existsSync(join(homedir(), '.kube', 'config'))) config.loadFromDefault();
    // else: client-node would fall back to http://localhost:8080, which is never what is meant.
    if (!config.getCurrentCluster()) throw new KubeApiError(0, 'NoCluster', 'no Kubernetes cluster configured (kubeconfig or in-cluster service account)', { code: 'api_error' });
    return new KubeClient(config);
  }

  get server(): string {
    return this.config.getCurrentCluster()?.server ?? '';
  }

  async request<T>(req: KubeRequest): Promise<T> {
    const response = await this.open(req, req.timeoutMs ?? 30_000, true);
    const text = await readBody(response);
    if (response.statusCode === 204 || text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new KubeApiError(response.statusCode ?? 0, 'BadResponse', `${req.method ?? 'GET'} ${req.path}: answer is not JSON`, { cause: err, code: 'bad_response' });
    }
  }

  /**
   * A long-lived GET (a watch): `onLine` gets each newline-delimited line; `onOpen` runs once the
   * server accepted the request. Resolves when the server ends the stream, rejects on errors, on
   * abort, and when nothing arrives for `timeoutMs` (default 5 min).
   */
  async stream(req: KubeRequest, onLine: (line: string) => void, onOpen?: () => void): Promise<void> {
    const response = await this.open(req, req.timeoutMs ?? 300_000, false);
    onOpen?.();
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line === '') continue;
          try {
            onLine(line);
          } catch (err) {
            response.destroy(err instanceof Error ? err : new Error(String(err)));
            return;
          }
        }
      });
      // Whatever ends the stream (server close, reset, abort, idle timeout), the promise settles once.
      let ended = false;
      response.on('end', () => {
        ended = true;
        resolve();
      });
      response.on('error', (err) => reject(asKubeError(err, req)));
      response.on('close', () => {
        if (!ended) reject(new KubeApiError(0, 'Closed', `${req.path}: stream closed before its end`, { code: 'network' }));
      });
    });
  }

  /** Sends the request; resolves with a 2xx response, otherwise rejects with KubeApiError. */
  private async open(req: KubeRequest, timeoutMs: number, wholeRequest: boolean): Promise<IncomingMessage> {
    const base = this.server;
    if (!base) throw new KubeApiError(0, 'NoCluster', 'no Kubernetes cluster configured', { code: 'api_error' });
    const url = new URL(base.replace(/\/+$/, '') + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const options: RequestOptions = {
      method: req.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(body ? { 'content-type': req.contentType ?? 'application/json', 'content-length': String(body.length) } : {}),
      },
    };
    await this.config.applyToHTTPSOptions(options);
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const request = send(url, { ...options, ...(req.signal ? { signal: req.signal } : {}) }, (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          if (!wholeRequest) request.setTimeout(timeoutMs); // from here on: the longest silence
          resolve(response);
          return;
        }
        void readBody(response).then((text) => reject(statusError(status, text, req)), reject);
      });
      request.setTimeout(timeoutMs, () => request.destroy(new KubeApiError(0, 'Timeout', `${req.method ?? 'GET'} ${req.path}: no answer within ${timeoutMs} ms`, { code: 'timeout' })));
      request.on('error', (err) => reject(asKubeError(err, req)));
      request.end(body);
    });
  }
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (text += chunk));
    response.on('end', () => resolve(text));
    response.on('error', reject);
  });
}

interface StatusBody {
  kind?: string;
  reason?: string;
  message?: string;
}

function statusError(status: number, text: string, req: KubeRequest): KubeApiError {
  let parsed: StatusBody = {};
  try {
    parsed = JSON.parse(text) as StatusBody;
  } catch {
    // Not a Status object (a proxy in between, say): keep the raw text.
  }
  const message = parsed.message ?? (text.slice(0, 300) || `HTTP ${status}`);
  return new KubeApiError(status, parsed.reason ?? '', `${req.method ?? 'GET'} ${req.path}: ${message}`);
}

function asKubeError(err: unknown, req: KubeRequest): KubeApiError {
  if (err instanceof KubeApiError) return err;
  const e = err as NodeJS.ErrnoException;
  const aborted = e?.name === 'AbortError';
  return new KubeApiError(0, aborted ? 'Aborted' : (e?.code ?? 'NetworkError'), `${req.method ?? 'GET'} ${req.path}: ${e?.message ?? String(err)}`, {
    cause: err,
    code: 'network',
  });
}
