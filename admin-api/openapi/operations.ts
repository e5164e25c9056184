import { z } from 'zod';
import { imageParams } from '../images/params.ts';
import { consoleAssetNames } from '../console/assets.ts';
import { docsAssetNames } from './docs-assets.ts';
import { apiPrefix } from '../routing.ts';
import { generationIdParams, listGenerationsQuery } from '../schemas/generation-schemas.ts';
import { createInstanceBody, instanceIdParams, patchInstanceBody } from '../schemas/instance-schemas.ts';
import { bulkModelsBody, createModelBody, listModelsQuery, modelIdParams, patchModelBody } from '../schemas/model-schemas.ts';
import { statsQuery } from '../schemas/stats-schemas.ts';
import { createWorkflowBody, patchWorkflowBody, workflowIdParams } from '../schemas/workflow-schemas.ts';
import { userIdParams } from '../schemas/user-schemas.ts';
import { putPolicyBody } from '../schemas/limit-schemas.ts';
import { putFamilyRulesBody } from '../schemas/model-family-rule-schemas.ts';
import { familyRulesPath } from '../routes/model-family-rules.ts';
import { limitScopes } from '../routes/limits.ts';
import * as out from './response-schemas.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ApiResponse {
  description: string;
  /** JSON body; absent for 204 and non-JSON answers. */
  schema?: z.ZodType;
  /** A non-JSON body: its media type. */
  mediaType?: string;
}

/**
 * One route as the document shows it. The params, query and body schemas are the very objects the
 * route's `validate(...)` uses, so the document cannot drift from what is accepted.
 */
export interface ApiOperation {
  method: HttpMethod;
  /** Koa's spelling, `/api/v1/models/:id`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** Answers without the admin token. */
  isPublic?: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  responses: Record<number, ApiResponse>;
  /** Client errors beyond the ones every route of its kind can answer (400, 401, 404). */
  errors?: Record<number, string>;
}

const models = `${apiPrefix}/models`;
const generations = `${apiPrefix}/generations`;
const instances = `${apiPrefix}/instances`;
const workflows = `${apiPrefix}/workflows`;
const json = (description: string, schema: z.ZodType): ApiResponse => ({ description, schema });
const image: ApiResponse = { description: 'the image bytes (ranges and conditional requests per RFC 9110)', mediaType: 'image/*' };
/** Not validated by zod: the signature check reads them (images/access.ts). */
export const signedLinkQuery = z.object({
  expires: z.string().regex(/^\d+$/).optional().describe('link expiry, Unix seconds'),
  sig: z.string().optional().describe('the link signature'),
});
const imageRedirect: ApiResponse = { description: 'with `STORAGE_BACKEND=s3` and `S3_SERVE=redirect`: `Location` is a presigned URL of the object, valid for at most 5 minutes' };
const imageErrors = { 403: 'signed link expired or invalid', 412: 'precondition failed', 416: 'range not satisfiable' };

export const apiOperations: ApiOperation[] = [
  { method: 'get', path: '/healthz', tag: 'health', summary: 'Process alive', isPublic: true, responses: { 200: json('alive', out.healthResponse) } },
  {
    method: 'get', path: '/readyz', tag: 'health', summary: 'Postgres, pg-boss and image storage usable', isPublic: true,
    responses: { 200: json('ready', out.readyResponse), 503: json('not ready', out.readyResponse) },
  },
  { method: 'get', path: '/metrics', tag: 'health', summary: 'Prometheus metrics', isPublic: true, responses: { 200: { description: 'metrics in the Prometheus text format', mediaType: 'text/plain' } } },
  { method: 'get', path: '/openapi.json', tag: 'docs', summary: 'This document', isPublic: true, responses: { 200: { description: 'OpenAPI 3.1 document', mediaType: 'application/json' } } },
  { method: 'get', path: '/docs', tag: 'docs', summary: 'Interactive documentation (Swagger UI, served locally)', isPublic: true, responses: { 200: { description: 'HTML page', mediaType: 'text/html' } } },
  ...docsAssetNames.map((name): ApiOperation => ({
    method: 'get', path: `/docs/${name}`, tag: 'docs', summary: `${name}, for the documentation page`, isPublic: true,
    responses: { 200: { description: 'a script, style sheet or icon', mediaType: '*/*' } },
  })),
  {
    method: 'get', path: '/admin', tag: 'console', summary: 'The operator console (a web page on this API)', isPublic: true,
    description: 'The page itself is public and holds no data; every call it makes sends the token the operator types in.',
    responses: { 200: { description: 'HTML page', mediaType: 'text/html' } },
  },
  ...consoleAssetNames.map((name): ApiOperation => ({
    method: 'get', path: `/admin/${name}`, tag: 'console', summary: `${name}, for the console page`, isPublic: true,
    responses: { 200: { description: 'a script, style sheet or icon', mediaType: '*/*' } },
  })),

  { method: 'get', path: models, tag: 'models', summary: 'List models', query: listModelsQuery, responses: { 200: json('a page of models', out.modelPage) } },
  { method: 'post', path: models, tag: 'models', summary: 'Add a model', body: createModelBody, responses: { 201: json('created', out.modelResponse) }, errors: { 409: 'a model of this kind with this file name exists' } },
  { method: 'get', path: `${models}/:id`, tag: 'models', summary: 'One model', params: modelIdParams, responses: { 200: json('the model', out.modelResponse) } },
  { method: 'patch', path: `${models}/:id`, tag: 'models', summary: 'Change a model', params: modelIdParams, body: patchModelBody, responses: { 200: json('changed', out.modelResponse) }, errors: { 409: 'conflicts with another model' } },
  {
    method: 'delete', path: `${models}/:id`, tag: 'models', summary: 'Remove a model', params: modelIdParams, responses: { 204: { description: 'removed' } },
    errors: { 409: 'generations still queued or running use it: `details.generationIds` lists them' },
  },
  {
    method: 'post', path: `${models}/refresh`, tag: 'models', summary: 'Run model discovery on every enabled instance now',
    description: 'The same pass as the scheduler\'s periodic one; answers what changed, overall and per instance. An instance that does not answer within 20 s keeps its models and is listed with its error.',
    responses: { 200: json('what changed', out.refreshResponse) }, errors: { 503: 'this admin API has no database pool for discovery' },
  },
  {
    method: 'post', path: `${models}/bulk`, tag: 'models', summary: 'Enable or disable several models at once',
    description: 'One transaction, one audit row per model. If any id is unknown nothing changes (404 lists the unknown ids).',
    body: bulkModelsBody, responses: { 200: json('the changed models, by id', out.modelList) },
  },
  { method: 'post', path: `${models}/:id/enable`, tag: 'models', summary: 'Offer a model', params: modelIdParams, responses: { 200: json('enabled', out.modelResponse) } },
  { method: 'post', path: `${models}/:id/disable`, tag: 'models', summary: 'Stop offering a model', params: modelIdParams, responses: { 200: json('disabled', out.modelResponse) } },

  {
    method: 'get', path: generations, tag: 'generations', summary: 'List generations',
    description: 'Filters combine with AND; newest first; pass `nextCursor` back as `cursor` for the next page.',
    query: listGenerationsQuery, responses: { 200: json('a page of generations', out.generationPage) },
  },
  { method: 'get', path: `${generations}/:id`, tag: 'generations', summary: 'One generation with its timeline', params: generationIdParams, responses: { 200: json('the generation', out.generationWithTimeline) } },
  {
    method: 'post', path: `${generations}/:id/cancel`, tag: 'generations', summary: 'Cancel a generation',
    description: 'The Cancel button\'s path: a queued one is cancelled at once (its job removed, limits refunded); one on a GPU becomes `cancel_requested` and the scheduler interrupts it on ComfyUI.',
    params: generationIdParams,
    responses: { 202: json('cancelled, or cancellation requested', out.generationResponse) },
    errors: { 409: 'already finished or being cancelled', 503: 'this admin API has no queue connection' },
  },
  {
    method: 'put', path: `${generations}/:id/keep`, tag: 'generations', summary: 'Keep its images from retention',
    description: 'The ⭐ button\'s path: every image of the generation is kept, so neither the age nor the size cap removes it. Audited.',
    params: generationIdParams, responses: { 200: json('kept', out.generationResponse) }, errors: { 503: 'this admin API has no database pool for transactions' },
  },
  {
    method: 'delete', path: `${generations}/:id/keep`, tag: 'generations', summary: 'Stop keeping its images',
    description: 'Retention may remove them again once old enough (or beyond the size cap). Audited.',
    params: generationIdParams, responses: { 200: json('no longer kept', out.generationResponse) }, errors: { 503: 'this admin API has no database pool for transactions' },
  },
  {
    method: 'delete', path: `${apiPrefix}/users/:userId`, tag: 'users', summary: 'Erase everything of one member',
    description: 'Cancels their queued work (running work is asked to stop and erased by the cleanup job once it has), deletes every file under their storage prefix, their generation rows and their limiter usage. Audited with the operator as actor. Operator limit policies about the member are kept.',
    params: userIdParams, responses: { 200: json('erased', out.erasureResponse) }, errors: { 503: 'this admin API has no queue connection' },
  },
  {
    method: 'delete', path: `${generations}/:id`, tag: 'generations', summary: 'Delete a generation',
    description: 'What the 🗑 button does: marks it deleted (its image links answer 410; the files go with retention). Queued or running work is cancelled first. Deleting one already deleted changes nothing.',
    params: generationIdParams, responses: { 204: { description: 'deleted' } }, errors: { 503: 'this admin API has no queue connection' },
  },

  { method: 'get', path: instances, tag: 'instances', summary: 'List ComfyUI instances with health, queue depth and models', responses: { 200: json('every instance', out.instanceList) } },
  { method: 'post', path: instances, tag: 'instances', summary: 'Add an instance', body: createInstanceBody, responses: { 201: json('created', out.instanceResponse) }, errors: { 409: 'name or base URL taken' } },
  { method: 'get', path: `${instances}/:id`, tag: 'instances', summary: 'One instance', params: instanceIdParams, responses: { 200: json('the instance', out.instanceResponse) } },
  { method: 'patch', path: `${instances}/:id`, tag: 'instances', summary: 'Change an instance', params: instanceIdParams, body: patchInstanceBody, responses: { 200: json('changed', out.instanceResponse) }, errors: { 409: 'name or base URL taken' } },
  { method: 'delete', path: `${instances}/:id`, tag: 'instances', summary: 'Remove an instance', params: instanceIdParams, responses: { 204: { description: 'removed' } }, errors: { 409: 'it still runs generations: drain it first' } },
  { method: 'post', path: `${instances}/:id/enable`, tag: 'instances', summary: 'Take new work (also ends draining)', params: instanceIdParams, responses: { 200: json('enabled', out.instanceResponse) } },
  { method: 'post', path: `${instances}/:id/disable`, tag: 'instances', summary: 'Stop using it (no probes, no placements)', params: instanceIdParams, responses: { 200: json('disabled', out.instanceResponse) } },
  { method: 'post', path: `${instances}/:id/drain`, tag: 'instances', summary: 'Finish what it runs, take nothing new', params: instanceIdParams, responses: { 200: json('draining', out.instanceResponse) } },

  { method: 'get', path: workflows, tag: 'workflows', summary: 'List workflow templates', responses: { 200: json('every template with its latest version number', out.workflowList) } },
  {
    method: 'post', path: workflows, tag: 'workflows', summary: 'Upload a workflow template (a new version when the name exists)',
    description: 'The body carries the JSON ComfyUI\'s "Export (API)" writes and the bindings: which node input receives each value a generation sets, and after which MODEL/CLIP outputs the LoRA chain goes. It is checked against every enabled instance\'s object_info and stored when at least one can run it.',
    body: createWorkflowBody, responses: { 201: json('stored', out.workflowCreated) },
    errors: { 409: 'uploaded twice at the same moment', 422: 'no instance can run it: unknown node class, a binding to a missing node or input, a wrong type (each named per instance)', 503: 'no enabled instance answered' },
  },
  { method: 'get', path: `${workflows}/:id`, tag: 'workflows', summary: 'One workflow template with its versions', params: workflowIdParams, responses: { 200: json('the template', out.workflowResponse) } },
  { method: 'patch', path: `${workflows}/:id`, tag: 'workflows', summary: 'Change roles, description or the switch', params: workflowIdParams, body: patchWorkflowBody, responses: { 200: json('changed', out.workflowResponse) } },
  { method: 'post', path: `${workflows}/:id/enable`, tag: 'workflows', summary: 'Offer it in /imagine', params: workflowIdParams, responses: { 200: json('enabled', out.workflowResponse) } },
  { method: 'post', path: `${workflows}/:id/disable`, tag: 'workflows', summary: 'Stop offering it', params: workflowIdParams, responses: { 200: json('disabled', out.workflowResponse) } },
  {
    method: 'get', path: `${apiPrefix}/limits`, tag: 'limits', summary: 'Every limit policy that sets something',
    description: 'Per field the most specific scope wins: the user, then their roles (the most generous), then the guild, then global, then the configured defaults.',
    responses: { 200: json('policies, widest scope first', out.limitPolicyList) },
  },
  ...limitScopes.flatMap((scope): ApiOperation[] => {
    const path = `${apiPrefix}/limits/${scope.path}`;
    const params = scope.params;
    const what = scope.label;
    const writeErrors = { 503: 'this admin API has no database pool for writes' };
    return [
      { method: 'get', path, tag: 'limits', summary: `Limits set at ${what}`, params, responses: { 200: json('what is set here (all null when nothing is)', out.limitPolicy) } },
      {
        method: 'put', path, tag: 'limits', summary: `Set the limits of ${what}`, description: 'Replaces the whole policy of this scope: fields left out are no longer set here. Audited as `limits.set` with before and after.',
        params, body: putPolicyBody, responses: { 200: json('stored, with what it replaced', out.limitPolicyWrite) }, errors: writeErrors,
      },
      { method: 'delete', path, tag: 'limits', summary: `Unset every limit of ${what}`, params, responses: { 204: { description: 'nothing set here any more' } }, errors: writeErrors },
    ];
  }),

  {
    method: 'get', path: familyRulesPath, tag: 'models', summary: 'The file-name rules that give a discovered model its base family',
    description: 'Used when a model\'s safetensors header names no architecture: the first rule whose pattern matches the file name decides.',
    responses: { 200: json('the rules, in the order they are tried', out.familyRuleList) },
  },
  {
    method: 'put', path: familyRulesPath, tag: 'models', summary: 'Replace the file-name family rules',
    description: 'The whole ordered list. Applies to models without a family at the next discovery pass (or `POST /api/v1/models/refresh`); a family set through the models API is never overwritten. Audited as `model_family_rules.set` with before and after.',
    body: putFamilyRulesBody, responses: { 200: json('stored, in order', out.familyRuleList) }, errors: { 503: 'this admin API has no database pool for writes' },
  },

  { method: 'get', path: `${apiPrefix}/stats`, tag: 'stats', summary: 'Counts, rates, the line and wait/run percentiles since a time', query: statsQuery, responses: { 200: json('statistics', out.statsResponse) } },

  {
    method: 'get', path: '/images/:generationId/:index', tag: 'images', summary: 'An original image', isPublic: true,
    description: 'Opened by a signed link (`?expires=&sig=`) or the admin token.', params: imageParams, query: signedLinkQuery, responses: { 200: image, 206: image, 302: imageRedirect, 304: { description: 'not modified' } }, errors: imageErrors,
  },
  {
    method: 'get', path: '/images/:generationId/:index/thumb/:name', tag: 'images', summary: 'A thumbnail', isPublic: true,
    description: 'Opened by a signed link (`?expires=&sig=`) or the admin token.', params: imageParams, query: signedLinkQuery, responses: { 200: image, 206: image, 302: imageRedirect, 304: { description: 'not modified' } }, errors: imageErrors,
  },
];
