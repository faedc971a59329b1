import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { dictionary } from '@vllm-router/common';
import { ProxyError, errors } from '../http/errors.js';
import type { FileStorage, StagedFile } from './storage.js';

export interface Upload {
  fields: Record<string, string>;
  /** The part named `file`, already on disk but not yet visible. */
  file?: { filename: string; staged: StagedFile };
}

const MAX_FIELDS = 32;
const MAX_FIELD_BYTES = 64 * 1024;
const MAX_PARTS = 64;
const MAX_PART_HEADERS = 16;

/**
 * Parse a multipart/form-data upload, streaming the `file` part straight to storage. The `purpose`
 * field may come before or after the file, so the file is staged and committed by the caller.
 * Over the limit: the rest of the body is drained (the client gets a clean 413, not a reset) and
 * the staged bytes are removed.
 */
export async function readUpload(req: IncomingMessage, storage: FileStorage, maxBytes: number): Promise<Upload> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(type)) {
    throw errors.badRequest('Uploads must be multipart/form-data with a "file" part.', 'file', 'invalid_content_type');
  }
  let parser: busboy.Busboy;
  try {
    // busboy flags a file as truncated when it reaches the limit exactly, so allow one byte more.
    // Plain `filename="..."` parameters are read as UTF-8 (what browsers and SDKs send), not busboy's
    // default Latin-1, so the name stored is the one the client sent; `filename*=` names its own charset.
    parser = busboy({
      headers: req.headers,
      defParamCharset: 'utf8',
      limits: { fileSize: maxBytes + 1, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, parts: MAX_PARTS, headerPairs: MAX_PART_HEADERS },
    });
  } catch (err) {
    throw errors.badRequest(`Malformed multipart request: ${(err as Error).message}`, null, 'invalid_multipart');
  }

  const fields = dictionary<string>(); // part names are the client's
  let staging: Promise<{ filename: string; staged: StagedFile; truncated: boolean }> | undefined;
  let fileStream: (NodeJS.ReadableStream & { destroy(err?: Error): void }) | undefined;
  /** The first error busboy raised on a part: a client fault, whichever promise sees it first. */
  let partError: Error | undefined;

  const parsed = new Promise<void>((resolve, reject) => {
    const malformed = (err: Error) => reject(errors.badRequest(`Malformed multipart request: ${err.message}`, null, 'invalid_multipart'));
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      // A listener from the first moment: busboy errors the part's stream when the body ends
      // inside it or a later part header is malformed, and storage only starts reading after
      // awaits of its own. Without one, that 'error' would be unhandled and end the process.
      stream.on('error', (err: Error) => {
        partError ??= err;
        malformed(err);
      });
      if (name !== 'file' || staging) {
        stream.resume(); // only one file part counts; skip others without stalling the parser
        return;
      }
      fileStream = stream;
      const filename = info.filename || 'upload';
      const pending = storage.stage(stream).then((staged) => ({ filename, staged, truncated: stream.truncated === true }));
      pending.catch(() => undefined); // handled when awaited below; avoid an unhandled rejection meanwhile
      staging = pending;
    });
    parser.on('close', resolve);
    parser.on('error', malformed);
    req.on('close', () => {
      if (req.complete) return;
      const err = errors.badRequest('The upload was cut off before it finished.', null, 'upload_aborted');
      fileStream?.destroy(err);
      reject(err);
    });
  });
  req.pipe(parser);

  try {
    await parsed;
  } catch (err) {
    fileStream?.destroy(err as Error); // a half-read part would otherwise never end
    await staging?.then((s) => s.staged.discard(), () => undefined);
    throw err;
  }
  if (!staging) return { fields };
  let result: Awaited<typeof staging>;
  try {
    result = await staging;
  } catch (err) {
    if (partError) throw errors.badRequest(`Malformed multipart request: ${partError.message}`, null, 'invalid_multipart');
    throw err;
  }
  if (result.truncated) {
    await result.staged.discard();
    throw new ProxyError(413, 'file_too_large', `File exceeds the limit of ${maxBytes} bytes.`, 'invalid_request_error', 'file');
  }
  return { fields, file: { filename: result.filename, staged: result.staged } };
}
