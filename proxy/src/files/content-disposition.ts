/**
 * `Content-Disposition: attachment` for a stored file's name, per RFC 6266 with RFC 8187 (was 5987)
 * encoding: an ASCII `filename=` fallback for old clients, and the exact name as UTF-8 in
 * `filename*=` when it is not plain printable ASCII. Node refuses header values with characters
 * outside Latin-1 or with control characters, so the raw name can never go into the header as is.
 */
export function attachmentDisposition(filename: string): string {
  const fallback = asciiFallback(filename);
  if (fallback === filename) return `attachment; filename="${fallback}"`;
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeExtValue(filename)}`;
}

/** Printable ASCII without the quoted-string specials; anything else becomes '_'. */
function asciiFallback(name: string): string {
  return name.replace(/[^\x20-\x7e]|["\\]/gu, '_') || 'download';
}

/** RFC 8187 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~"; every other byte is percent-encoded. */
const ATTR_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;

function encodeExtValue(name: string): string {
  let out = '';
  // Buffer encodes lone surrogates as U+FFFD, where encodeURIComponent would throw.
  for (const byte of Buffer.from(name, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && ATTR_CHAR.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
