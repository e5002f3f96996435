import type { FastifyInstance, FastifyRequest } from 'fastify';
import sjson from 'secure-json-parse';
import { HttpError } from '../http/errors.js';

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/**
 * The only body the service reads: JSON, in UTF-8 (RFC 8259), uncompressed. Bytes that are not UTF-8 are refused,
 * never replaced by U+FFFD; a `__proto__` key or a `constructor.prototype` is refused (prototype poisoning, as
 * fastify's own parser does); every refusal names what is at fault. Other media types get fastify's 415.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  // fastify's defaults also parse text/plain, which no route takes: it would reach the schemas as a string.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req: FastifyRequest, body: Buffer, done) => {
    try {
      done(null, parseJsonBody(req, body));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

function parseJsonBody(req: FastifyRequest, body: Buffer): unknown {
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding.trim().toLowerCase() !== 'identity') {
    throw new HttpError(415, 'unsupported_media_type', `Content-Encoding: "${encoding}" is not accepted; send the body uncompressed`);
  }
  const charset = CHARSET.exec(req.headers['content-type'] ?? '')?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw new HttpError(415, 'unsupported_media_type', `Content-Type: charset "${charset}" is not accepted; JSON is sent as UTF-8 (charset=utf-8, or none)`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new HttpError(400, 'invalid_utf8', '(body): not valid UTF-8; JSON must be sent as UTF-8 (RFC 8259), and nothing was stored');
  }
  if (text.trim() === '') throw new HttpError(400, 'invalid_json', '(body): empty; send a JSON object');
  try {
    return sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const message = (err as Error).message;
    if (message.includes('forbidden prototype property')) {
      throw new HttpError(400, 'invalid_json', '(body): a "__proto__" key, or a "constructor" key holding "prototype", is not accepted (prototype poisoning)');
    }
    throw new HttpError(400, 'invalid_json', `(body): not valid JSON: ${message}`);
  }
}
