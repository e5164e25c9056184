import { z } from 'zod';
import { apiOperations, type ApiOperation } from './operations.ts';

type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> };

/** `/api/v1/models/:id` → `/api/v1/models/{id}`. */
export function openApiPath(koaPath: string): string {
  return koaPath.replace(/:(\w+)/g, '{$1}');
}

// Requests are described as they arrive (io: 'input': text before any transform), answers as sent.
const inputSchema = (schema: z.ZodType): JsonSchema => strip(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema);

/** OpenAPI 3.1 uses JSON Schema 2020-12 as its dialect already; a nested `$schema` is noise. */
function strip(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

function parameters(op: ApiOperation): unknown[] {
  const list: unknown[] = [];
  const pathNames = [...op.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  if (op.params) {
    const { properties = {} } = inputSchema(op.params) as { properties?: Record<string, JsonSchema> };
    for (const name of pathNames) list.push({ name, in: 'path', required: true, schema: properties[name] ?? { type: 'string' } });
  }
  if (op.query) {
    const { properties = {}, required = [] } = inputSchema(op.query) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(properties)) {
      const { description, ...rest } = schema;
      list.push({ name, in: 'query', required: required.includes(name), schema: rest, ...(description ? { description } : {}) });
    }
  }
  return list;
}

const errorRef = { $ref: '#/components/schemas/Error' };

function responses(op: ApiOperation, registry: z.core.$ZodRegistry<{ id?: string }>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(op.responses)) {
    const content = r.schema
      ? { 'application/json': { schema: outputSchema(r.schema, registry) } }
      : r.mediaType ? { [r.mediaType]: { schema: {} } } : undefined;
    result[status] = { description: r.description, ...(content ? { content } : {}) };
  }
  const errors: Record<number, string> = {};
  if (op.params || op.query || op.body) errors[400] = 'invalid request: details name each field';
  if (!op.isPublic || op.path.startsWith('/images')) errors[401] = 'missing or invalid bearer token';
  if (op.params) errors[404] = 'not found';
  if (op.body) Object.assign(errors, { 413: 'body too large', 415: 'body is not JSON' });
  Object.assign(errors, op.errors);
  errors[500] ??= 'unexpected server error (logged; the message is generic)';
  for (const [status, description] of Object.entries(errors)) result[status] = { description, content: { 'application/json': { schema: errorRef } } };
  return result;
}

/** Output schemas with a registered id become `$ref`s into components, so shared shapes appear once. */
function outputSchema(schema: z.ZodType, registry: z.core.$ZodRegistry<{ id?: string }>): JsonSchema {
  const id = registry.get(schema)?.id;
  return id ? { $ref: `#/components/schemas/${id}` } : strip(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema);
}

/**
 * The OpenAPI 3.1 document of every route in `apiOperations`, built from the zod schemas the
 * routes validate with. Named response shapes (`.meta({ id })`) go to components.schemas.
 */
export function buildOpenApiDocument(operations: ApiOperation[] = apiOperations): OpenApiDocument {
  const registry = z.globalRegistry;
  const paths: OpenApiDocument['paths'] = {};
  for (const op of operations) {
    const item = (paths[openApiPath(op.path)] ??= {});
    item[op.method] = {
      operationId: `${op.method}${op.path.replace(/[^A-Za-z0-9]+(\w)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      tags: [op.tag],
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      // Image routes take a signed link or the token; other public routes take nothing.
      ...(op.isPublic ? { security: op.path.startsWith('/images') ? [{}, { bearer: [] }] : [] } : {}),
      parameters: parameters(op),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: inputSchema(op.body) } } } } : {}),
      responses: responses(op, registry),
    };
  }
  const named = z.toJSONSchema(registry, { io: 'output', unrepresentable: 'any', target: 'draft-2020-12', uri: (id) => `#/components/schemas/${id}` });
  const schemas = Object.fromEntries(Object.entries(named.schemas).map(([id, schema]) => [id, strip(schema as JsonSchema)]));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Genonaut admin API',
      version: '1',
      description: 'Operate Genonaut: models, ComfyUI instances, generations, statistics. Send `Authorization: Bearer <ADMIN_TOKEN>` on every route not marked public.',
    },
    tags: [...new Set(operations.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'the ADMIN_TOKEN' } },
      schemas,
    },
    security: [{ bearer: [] }],
  };
}
