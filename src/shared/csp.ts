/**
 * The workbench's one Content-Security-Policy: only our own scripts, no inline script, no eval, no remote origins.
 * Sent as a header by the web server (src/main/server/web.ts) and by the Electron window's app:// protocol and
 * response hook (src/main/electron), and written into the page's <meta> at build time (src/renderer/vite.config.ts).
 */
const DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
];

export const CONTENT_SECURITY_POLICY = DIRECTIVES.join('; ');

/** The same policy for a <meta> tag, which cannot carry frame-ancestors (browsers ignore it there, with a warning). */
export const META_CONTENT_SECURITY_POLICY = DIRECTIVES.filter((d) => !d.startsWith('frame-ancestors')).join('; ');
