import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { setPageSecurityHeaders } from '../http/page-security';

/** Where the UI's files are: beside this file, in the sources and in dist/ alike (nest-cli copies them). */
export const ADMIN_UI_DIR = join(__dirname, 'static');

/** Serves the admin UI's static files at /ui (GET /ui redirects to /ui/): index.html, app.css and the ES modules it imports. */
export function installAdminUi(app: NestExpressApplication): void {
  app.use('/ui', (_req: Request, res: Response, next: NextFunction) => {
    setPageSecurityHeaders(res);
    next();
  });
  app.use(
    '/ui',
    express.static(ADMIN_UI_DIR, {
      index: 'index.html',
      maxAge: 0,
      fallthrough: true,
      // The pages are ES modules, which a browser runs only when served as JavaScript.
      setHeaders: (res, path) => {
        if (path.endsWith('.js')) res.setHeader('content-type', 'text/javascript; charset=utf-8');
      },
    }),
  );
}
