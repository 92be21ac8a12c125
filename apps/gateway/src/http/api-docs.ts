import { dirname, join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';
import { setPageSecurityHeaders } from './page-security';

/** A request schema as OpenAPI sees it: the same zod schema the route validates with, so docs and checks cannot drift. */
export function openApiSchema(schema: z.ZodType): SchemaObject {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as SchemaObject;
}

/** An OpenAI-shaped error answer, for `@ApiResponse`. */
export const ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        message: { type: 'string' },
        type: { type: 'string' },
        param: { type: 'string', nullable: true },
        code: { type: 'string', nullable: true },
      },
    },
  },
};

/**
 * The docs page, in place of @nestjs/swagger's, whose inline styles a strict Content Security
 * Policy refuses (as it refuses the `<style>` in the standalone layout's logo, so the page uses
 * the base layout). Swagger UI's files come from the installed swagger-ui-dist (see
 * {@link SWAGGER_UI_FILES}); the page's own CSS and start script are `/api-docs.css` and `/api-docs.js`.
 */
const DOCS_PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>Switchyard API</title>
  <link rel="stylesheet" href="/swagger-ui.css">
  <link rel="stylesheet" href="/api-docs.css">
  <link rel="icon" type="image/png" href="/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/swagger-ui-bundle.js"></script>
  <script src="/api-docs.js"></script>
</body>
</html>
`;
const DOCS_JS = `window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout', persistAuthorization: false });
});
`;
const DOCS_CSS =
  'html { box-sizing: border-box; overflow-y: scroll; } *, *::before, *::after { box-sizing: inherit; } body { margin: 0; background: #fafafa; }\n';

/**
 * The swagger-ui-dist files the docs page loads (and their source maps), each a route of its own.
 * @nestjs/swagger would serve the whole package as static files at `/`, which puts a static-file
 * middleware, and for a GET a filesystem look-up, in front of every API route.
 */
const SWAGGER_UI_FILES = ['swagger-ui.css', 'swagger-ui.css.map', 'swagger-ui-bundle.js', 'swagger-ui-bundle.js.map', 'favicon-32x32.png', 'favicon-16x16.png'];
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));

/** Swagger UI at `/` (LiteLLM's docs address), served from the local swagger-ui-dist under the admin UI's CSP; the spec at `/openapi.json`. */
export function installApiDocs(app: NestExpressApplication): void {
  // Registered before @nestjs/swagger's own routes for these paths, so these answer.
  const http = app.getHttpAdapter().getInstance();
  const page = (_req: Request, res: Response) => {
    setPageSecurityHeaders(res);
    res.type('html').send(DOCS_PAGE);
  };
  http.get('/', page);
  http.get('/index.html', page);
  const file = (type: string, body: string) => (_req: Request, res: Response) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.type(type).send(body);
  };
  http.get('/api-docs.css', file('css', DOCS_CSS));
  http.get('/api-docs.js', file('js', DOCS_JS));
  for (const name of SWAGGER_UI_FILES) {
    const path = join(SWAGGER_UI_DIR, name);
    http.get(`/${name}`, (_req: Request, res: Response) => res.sendFile(path));
  }
  const config = new DocumentBuilder()
    .setTitle('Switchyard')
    .setDescription(
      'OpenAI-compatible LLM gateway. Send a virtual key (or the master key) as `Authorization: Bearer <key>`; admin routes need the master key. Errors are `{"error": {"message", "type", "param", "code"}}`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A virtual key, or the master key for admin routes' })
    .build();
  // The page above stands in for @nestjs/swagger's UI (`ui: false`: neither its page nor its static files).
  // The document is built on the first request for it, not at start: a gateway whose docs nobody
  // reads does not keep it in its heap.
  SwaggerModule.setup('/', app, () => SwaggerModule.createDocument(app, config), {
    ui: false,
    jsonDocumentUrl: '/openapi.json',
    yamlDocumentUrl: '/openapi.yaml',
    customSiteTitle: 'Switchyard API',
  });
}
