/**
 * API docs over HTTP: the OpenAPI document (./openapi.ts) at /v2/docs/openapi.json (and /v2/docs/json,
 * /v2/docs/yaml, where Swagger UI reads it) and Swagger UI at /v2/docs, with @fastify/swagger (static
 * mode: the document is declared, not derived from routes) and @fastify/swagger-ui. Registered in its own
 * scope; fastify's router answers these paths before the catch-all route that hands the rest to
 * GraphServer.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { DOCS_PREFIX, OPENAPI_PATH, openApiDocument } from './openapi';

/** Registers the docs routes on `app`. */
export function registerDocs(app: FastifyInstance): void {
  void app.register(async (scope) => {
    await scope.register(swagger, { mode: 'static', specification: { document: openApiDocument() as never } });
    await scope.register(swaggerUi, { routePrefix: DOCS_PREFIX });
    scope.get(OPENAPI_PATH, { schema: { hide: true } }, (_req, reply) => reply.send(scope.swagger()));
  });
}
