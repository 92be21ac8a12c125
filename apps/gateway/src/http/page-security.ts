import type { Response } from 'express';

/** The pages' Content Security Policy: only this gateway's own files and API; no CDN, no inline script or style, no framing. */
export const PAGE_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Headers for an HTML page the gateway serves (the admin UI, the API docs). */
export function setPageSecurityHeaders(res: Response): void {
  res.setHeader('content-security-policy', PAGE_CONTENT_SECURITY_POLICY);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
}
