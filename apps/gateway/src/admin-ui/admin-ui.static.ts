import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';

/** Where the UI's files are: beside this file, in the sources and in dist/ alike (nest-cli copies them). */
export const ADMIN_UI_DIR = join(__dirname, 'static');

// Only this gateway's own files and API: no CDN, no inline script, no framing.
const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Serves the admin UI's static pages at /ui (GET /ui redirects to /ui/). */
export function installAdminUi(app: NestExpressApplication): void {
  app.use('/ui', (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    next();
  });
  app.use('/ui', express.static(ADMIN_UI_DIR, { index: 'index.html', maxAge: 0, fallthrough: true }));
}
