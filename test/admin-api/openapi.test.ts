import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, test } from 'vitest';
import { buildOpenApiDocument, openApiPath } from '#admin/openapi/document.ts';
import { docsAssetNames } from '#admin/openapi/docs-assets.ts';
import { apiOperations } from '#admin/openapi/operations.ts';
import * as out from '#admin/openapi/response-schemas.ts';
import { docsContentSecurityPolicy } from '#admin/routes/docs.ts';
import { asDb } from '#shared/db/pool.ts';
import { GenerationRepository } from '#shared/db/repositories/generation-repository.ts';
import { generationInput } from '../support/generation-fixture.ts';
import { adminApiForFile } from './harness.ts';
import { routeTable } from './route-table.ts';

const world = adminApiForFile();


type Doc = ReturnType<typeof buildOpenApiDocument>;
const operationsOf = (doc: Doc) => Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));

describe('/openapi.json', () => {
  test('is a valid OpenAPI 3.1 document, served without the token', async () => {
    const res = await world.api.request('/openapi.json', { token: null });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Doc;
    expect(doc.openapi).toBe('3.1.0');
    const verdict = await new Validator().validate(doc as never);
    expect(verdict.errors ?? []).toEqual([]);
    expect(verdict.valid).toBe(true);
  });

  test('the validator refuses a broken document (so the check above can fail)', async () => {
    const doc = buildOpenApiDocument();
    const broken = { ...doc, paths: { ...doc.paths, '/x': { get: { responses: { 200: { content: {} } } } } } };
    expect((await new Validator().validate(broken as never)).valid).toBe(false);
  });

  test('lists exactly the routes the router serves (HEAD comes with GET)', async () => {
    const routes = routeTable(world.tdb, world.orm);
    const served = new Set(routes.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${openApiPath(r.template)}`));
    const documented = new Set(operationsOf(buildOpenApiDocument()));
    expect([...served].filter((op) => !documented.has(op)).sort()).toEqual([]);
    expect([...documented].filter((op) => !served.has(op)).sort()).toEqual([]);
    for (const head of routes.filter((r) => r.method === 'HEAD')) expect(served).toContain(`GET ${openApiPath(head.template)}`);
    // Public in the document exactly where the router skips the token.
    const publicServed = new Set(routes.filter((r) => r.isPublic && r.method !== 'HEAD').map((r) => `${r.method.toLowerCase()} ${r.template}`));
    expect(new Set(apiOperations.filter((o) => o.isPublic).map((o) => `${o.method} ${o.path}`))).toEqual(publicServed);
  });

  test('a route the document lacks is caught', () => {
    const fewer = buildOpenApiDocument(apiOperations.filter((o) => o.path !== '/api/v1/instances/:id/drain'));
    const served = routeTable(world.tdb, world.orm).map((r) => `${r.method} ${openApiPath(r.template)}`);
    expect(served.filter((op) => !op.startsWith('HEAD') && !operationsOf(fewer).includes(op))).toEqual(['POST /api/v1/instances/{id}/drain']);
  });

  test('parameters and bodies come from the validating schemas', () => {
    const doc = buildOpenApiDocument();
    const list = doc.paths['/api/v1/generations']!.get as { parameters: { name: string; required: boolean; schema: Record<string, unknown> }[] };
    expect(list.parameters.map((p) => p.name)).toEqual(['userId', 'guildId', 'status', 'checkpoint', 'model', 'instanceId', 'from', 'to', 'cursor', 'limit']);
    expect(list.parameters.find((p) => p.name === 'from')!.schema).toMatchObject({ type: 'string', format: 'date-time' });
    const create = doc.paths['/api/v1/instances']!.post as { requestBody: { content: { 'application/json': { schema: { required: string[]; additionalProperties: boolean } } } } };
    expect(create.requestBody.content['application/json'].schema).toMatchObject({ required: ['name', 'baseUrl'], additionalProperties: false });
    const cancel = doc.paths['/api/v1/generations/{id}/cancel']!.post as { responses: Record<string, unknown>; parameters: { in: string; schema: unknown }[] };
    expect(Object.keys(cancel.responses).sort()).toEqual(['202', '400', '401', '404', '409', '500', '503']);
    expect(cancel.parameters).toEqual([{ name: 'id', in: 'path', required: true, schema: expect.objectContaining({ format: 'uuid' }) }]);
  });
});

describe('answers match their documented shapes', () => {
  test('instances, generations (with timeline), models and stats', async () => {
    const created = await world.api.request('/api/v1/instances', { method: 'POST', json: { name: 'doc-check', baseUrl: 'http://127.0.0.1:1' } });
    expect(created.status).toBe(201);
    out.instanceResponse.parse(await created.json());
    out.instanceList.parse(await (await world.api.request('/api/v1/instances')).json());
    const g = await new GenerationRepository(asDb(world.tdb.pool)).create(generationInput());
    out.generationWithTimeline.parse(await (await world.api.request(`/api/v1/generations/${g.id}`)).json());
    out.generationPage.parse(await (await world.api.request('/api/v1/generations')).json());
    await world.tdb.pool.query(`insert into model (kind, file_name, display_name) values ('checkpoint', 'doc.safetensors', 'doc')`);
    out.modelPage.parse(await (await world.api.request('/api/v1/models')).json());
    out.statsResponse.parse(await (await world.api.request('/api/v1/stats')).json());
    out.errorResponse.parse(await (await world.api.request('/api/v1/instances/999')).json());
  });
});

describe('/docs', () => {
  test('serves Swagger UI from this server with a CSP that allows only what it needs, on that page only', async () => {
    const page = await world.api.request('/docs', { token: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toBe(docsContentSecurityPolicy);
    const html = await page.text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources.every((s) => s.startsWith('/docs/'))).toBe(true);
    expect(html).not.toMatch(/<script>(?!<)/); // no inline script: the CSP forbids it
    for (const src of sources) {
      const asset = await world.api.request(src, { token: null });
      expect(asset.status, src).toBe(200);
      expect((await asset.arrayBuffer()).byteLength, src).toBeGreaterThan(30);
    }
    expect(sources.map((s) => s.slice('/docs/'.length)).sort()).toEqual([...docsAssetNames].sort());
    expect(await (await world.api.request('/docs/init.js', { token: null })).text()).toContain("url: '/openapi.json'");
    const json = await world.api.request('/api/v1/stats');
    expect(json.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    expect(json.headers.get('content-security-policy')).not.toContain('script-src');
  });
});
