/**
 * The `model` field of a multipart/form-data body (audio transcriptions, image edits), found and
 * rewritten in place without re-encoding the file parts.
 */

function boundaryOf(contentType: string | undefined): string | undefined {
  const match = contentType?.match(/boundary=(?:"([^"]+)"|([^;\s]+))/i);
  return match ? (match[1] ?? match[2]) : undefined;
}

interface FieldSpan {
  start: number;
  end: number;
}

/** Byte range of the value of the part named `name`, if any. */
function findField(body: Buffer, contentType: string | undefined, name: string): FieldSpan | undefined {
  const boundary = boundaryOf(contentType);
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const headersStart = at + delimiter.length + 2; // skip CRLF after the delimiter
    const headersEnd = body.indexOf('\r\n\r\n', headersStart);
    if (headersEnd === -1) return undefined;
    const next = body.indexOf(delimiter, headersEnd + 4);
    if (next === -1) return undefined;
    const headers = body.subarray(headersStart, headersEnd).toString('latin1');
    const disposition = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(headers);
    if (disposition?.[1] === name && !/filename=/i.test(headers)) return { start: headersEnd + 4, end: next - 2 };
    at = next;
  }
  return undefined;
}

export function readMultipartField(body: Buffer, contentType: string | undefined, name: string): string | undefined {
  const span = findField(body, contentType, name);
  return span ? body.subarray(span.start, span.end).toString('utf8') : undefined;
}

export function replaceMultipartField(body: Buffer, contentType: string | undefined, name: string, value: string): Buffer {
  const span = findField(body, contentType, name);
  if (!span) return body;
  return Buffer.concat([body.subarray(0, span.start), Buffer.from(value, 'utf8'), body.subarray(span.end)]);
}
