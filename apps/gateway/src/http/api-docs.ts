import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';

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
      properties: { message: { type: 'string' }, type: { type: 'string' }, param: { type: 'string', nullable: true }, code: { type: 'string', nullable: true } },
    },
  },
};

/** Swagger UI at `/` (LiteLLM's docs address), served from the local swagger-ui-dist; the spec at `/openapi.json`. */
export function installApiDocs(app: NestExpressApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Switchyard')
    .setDescription(
      'OpenAI-compatible LLM gateway. Send a virtual key (or the master key) as `Authorization: Bearer <key>`; admin routes need the master key. Errors are `{"error": {"message", "type", "param", "code"}}`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A virtual key, or the master key for admin routes' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('/', app, document, {
    jsonDocumentUrl: '/openapi.json',
    yamlDocumentUrl: '/openapi.yaml',
    customSiteTitle: 'Switchyard API',
    swaggerOptions: { persistAuthorization: false },
  });
}
