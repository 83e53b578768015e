// The API's own description.
import { type AnyRoute, defineRoute } from '../route.ts';
import { openApiView } from '../schemas.ts';

export function metaRoutes(document: () => unknown): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/openapi.json',
      operationId: 'getOpenApiDocument',
      summary: 'This OpenAPI 3.1 document',
      tag: 'Meta',
      access: { kind: 'public' },
      response: { status: 200, description: 'the OpenAPI document', schema: openApiView },
      async handler() {
        return document();
      },
    }),
  ];
}
