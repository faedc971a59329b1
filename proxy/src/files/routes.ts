import { pipeline } from 'node:stream/promises';
import type { ServerResponse } from 'node:http';
import { errors, sendJson } from '../http/errors.js';
import type { Route } from '../http/route.js';
import { attachmentDisposition } from './content-disposition.js';
import { readUpload } from './multipart.js';
import { listBody, parseAfter, parseLimit, parseOrder, pathSegments } from './query.js';
import { MAX_PURPOSE_CHARS, isFileId, type FileStorage } from './storage.js';

export interface FileRoutesDeps {
  storage: FileStorage;
  /** ProxyOptions.maxFileBytes. */
  maxFileBytes: number;
}

const FILES = '/v1/files';
/** OpenAI's own page size bounds for GET /v1/files. */
const LIST_DEFAULT = 10_000;
const LIST_MAX = 10_000;

/** POST/GET /v1/files, GET/DELETE /v1/files/{id}, GET /v1/files/{id}/content. */
export function fileRoutes(deps: FileRoutesDeps): Route[] {
  const { storage } = deps;

  const notFound = (id: string) => errors.notFound(`No such File object: ${id}`, 'file_not_found');

  return [
    {
      method: 'POST',
      path: FILES,
      handler: async (req, res) => {
        const upload = await readUpload(req, storage, deps.maxFileBytes);
        // Any purpose, "unknown" when none is given, as the reference router stores it.
        const purpose = Object.hasOwn(upload.fields, 'purpose') && upload.fields['purpose'] ? upload.fields['purpose'] : 'unknown';
        const problem = !upload.file
          ? errors.badRequest('Missing required parameter: "file".', 'file', 'missing_required_parameter')
          : purpose.length > MAX_PURPOSE_CHARS
            ? errors.badRequest(`The purpose is longer than ${MAX_PURPOSE_CHARS} characters.`, 'purpose', 'invalid_purpose')
            : undefined;
        if (problem) {
          await upload.file?.staged.discard();
          throw problem;
        }
        const file = await upload.file!.staged.commit({ filename: upload.file!.filename, purpose });
        sendJson(res, 200, file);
      },
    },
    {
      method: 'GET',
      path: FILES,
      handler: async (_req, res, ctx) => {
        const q = ctx.url.searchParams;
        const purpose = q.get('purpose') || undefined;
        const page = await storage.list({
          limit: parseLimit(q, LIST_DEFAULT, LIST_MAX),
          after: parseAfter(q, isFileId),
          order: parseOrder(q),
          ...(purpose === undefined ? {} : { purpose }),
        });
        sendJson(res, 200, listBody(page.data, page.has_more));
      },
    },
    {
      method: 'GET',
      path: `${FILES}/*`,
      handler: async (_req, res, ctx) => {
        const [id = '', sub, ...rest] = pathSegments(ctx.url.pathname, `${FILES}/`);
        if (rest.length > 0 || (sub !== undefined && sub !== 'content')) throw errors.notFound(`Unknown path ${ctx.url.pathname}`);
        if (sub === 'content') return sendContent(res, id);
        const file = await storage.get(id);
        if (!file) throw notFound(id);
        sendJson(res, 200, file);
      },
    },
    {
      method: 'DELETE',
      path: `${FILES}/*`,
      handler: async (_req, res, ctx) => {
        const [id = '', ...rest] = pathSegments(ctx.url.pathname, `${FILES}/`);
        if (rest.length > 0) throw errors.notFound(`Unknown path ${ctx.url.pathname}`);
        if (!(await storage.delete(id))) throw notFound(id);
        sendJson(res, 200, { id, object: 'file', deleted: true });
      },
    },
  ];

  async function sendContent(res: ServerResponse, id: string): Promise<void> {
    const file = await storage.get(id);
    const stream = file && (await storage.openContent(id));
    if (!file || !stream) throw notFound(id);
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(file.bytes),
      'content-disposition': attachmentDisposition(file.filename),
    });
    // pipeline destroys the file stream if the client goes away, so the descriptor is never leaked.
    await pipeline(stream, res).catch(() => undefined);
  }
}
