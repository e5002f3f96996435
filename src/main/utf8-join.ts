/**
 * `parts` joined by the byte `separator`, between the bytes `head` and `tail`, encoded as UTF-8 straight into one
 * Buffer. For the payloads of a whole batch (a capture statement's JSON parameter, a relay call's stream entries):
 * joining 500 events into one string first, which the driver then measures and copies, cost ~2 ms per batch here.
 * V8 gives every string over 128 kB memory pages of its own, and faulting those in is the cost; small strings written
 * into one Buffer avoid it (docs/capture.md, Throughput).
 */
export function joinUtf8(parts: readonly string[], separator: number, head: readonly number[] = [], tail: readonly number[] = []): Buffer {
  let size = head.length + tail.length + Math.max(0, parts.length - 1);
  for (const p of parts) size += Buffer.byteLength(p);
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  for (const b of head) buf[at++] = b;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) buf[at++] = separator;
    at += buf.write(parts[i], at);
  }
  for (const b of tail) buf[at++] = b;
  return buf;
}
