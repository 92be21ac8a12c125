import { dirname, join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { setPageSecurityHeaders } from '../http/page-security';

/** Where the UI's files are: beside this file, in the sources and in dist/ alike (nest-cli copies them). */
export const ADMIN_UI_DIR = join(__dirname, 'static');

/**
 * Browser files of packages the pages use, served from the installed package itself (a
 * `dependencies` entry, so production images have it): no CDN. Chart.js's UMD bundle is one
 * self-contained file that sets `window.Chart`, and needs no install script.
 */
export const ADMIN_UI_VENDOR_FILES: Readonly<Record<string, string>> = {
  'chart.umd.min.js': join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'),
};

/** Serves the admin UI's static files at /ui (GET /ui redirects to /ui/): index.html, app.css and the ES modules it imports. */
export function installAdminUi(app: NestExpressApplication): void {
  app.use('/ui', (_req: Request, res: Response, next: NextFunction) => {
    setPageSecurityHeaders(res);
    next();
  });
  app.use('/ui/vendor', (req: Request, res: Response, next: NextFunction) => {
    const file = req.method === 'GET' || req.method === 'HEAD' ? ADMIN_UI_VENDOR_FILES[req.path.slice(1)] : undefined;
    if (!file) return next();
    res.sendFile(file, { headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600' } });
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
