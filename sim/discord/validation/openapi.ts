import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { ErrorTree } from '../errors.ts';

const SPEC_ID = 'https://discord.sim/openapi.json';
const specPath = new URL('../spec/openapi.json', import.meta.url);

type Schema = Record<string, unknown>;
interface Spec {
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> } }>>;
  components: { schemas: Record<string, Schema> };
}

/**
 * Validates JSON request bodies against Discord's own OpenAPI 3.1 spec (draft 2020-12). Each operation's schema is
 * compiled on first use and cached. Multipart bodies are validated through their `payload_json`, i.e. against the
 * operation's `application/json` schema.
 */
export class OpenApiValidator {
  readonly #spec: Spec;
  readonly #ajv: Ajv2020;
  readonly #cache = new Map<string, ValidateFunction | null>();

  constructor() {
    this.#spec = JSON.parse(readFileSync(specPath, 'utf8')) as Spec;
    this.#ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, validateFormats: true });
    addFormatsModule.default(this.#ajv);
    for (const f of ['int32', 'int64', 'snowflake', 'double', 'float', 'nonce']) this.#ajv.addFormat(f, true);
    this.#ajv.addSchema({ $id: SPEC_ID, components: this.#spec.components });
  }

  hasOperation(template: string, method: string): boolean {
    return Boolean(this.#spec.paths[template]?.[method.toLowerCase()]);
  }

  /** Returns Discord-shaped errors, or null when the body is valid (or the operation takes no body). */
  validate(template: string, method: string, body: unknown): ErrorTree | null {
    const schema = this.#requestSchema(template, method);
    if (!schema) return null;
    const branch = this.#discriminate(schema, body);
    if (branch === 'no-match') {
      const tree = new ErrorTree();
      tree.add(['type'], 'BASE_TYPE_CHOICES', `Value must be one of the supported types.`);
      return tree;
    }
    const key = `${method} ${template}${branch === null ? '' : `#${branch}`}`;
    let validate = this.#cache.get(key);
    if (validate === undefined) {
      const target = branch === null ? schema : { $ref: `${SPEC_ID}#/components/schemas/${branch}` };
      validate = this.#ajv.compile(branch === null ? rebase(target) : target);
      this.#cache.set(key, validate);
    }
    if (!validate || validate(body)) return null;
    return toErrorTree(validate.errors ?? []);
  }

  #requestSchema(template: string, method: string): Schema | undefined {
    return this.#spec.paths[template]?.[method.toLowerCase()]?.requestBody?.content?.['application/json']?.schema;
  }

  /** For a top-level anyOf of `$ref`s discriminated by `type` (interaction callbacks), picks the matching branch. */
  #discriminate(schema: Schema, body: unknown): string | null | 'no-match' {
    const anyOf = schema.anyOf as Array<{ $ref?: string }> | undefined;
    if (!anyOf?.every((b) => typeof b.$ref === 'string')) return null;
    const type = (body as { type?: unknown } | null)?.type;
    if (typeof type !== 'number') return null;
    for (const b of anyOf) {
      const name = b.$ref!.split('/').pop()!;
      const typeSchema = (this.#spec.components.schemas[name]?.properties as Record<string, { enum?: unknown[] }> | undefined)?.type;
      if (typeSchema?.enum?.includes(type)) return name;
    }
    return 'no-match';
  }
}

function rebase(schema: Schema): Schema {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${SPEC_ID}#/components/`)) as Schema;
}

function codeFor(e: ErrorObject): [string, string] {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'maxLength':
      return ['BASE_TYPE_MAX_LENGTH', `Must be ${String(p.limit)} or fewer in length.`];
    case 'minLength':
      return ['BASE_TYPE_MIN_LENGTH', `Must be ${String(p.limit)} or more in length.`];
    case 'maxItems':
    case 'minItems':
      return ['BASE_TYPE_BAD_LENGTH', `Must be ${e.keyword === 'maxItems' ? 'at most' : 'at least'} ${String(p.limit)} in length.`];
    case 'required':
      return ['BASE_TYPE_REQUIRED', 'This field is required'];
    case 'type':
      return ['BASE_TYPE_INVALID', `Value must be of type ${String(p.type)}.`];
    case 'enum':
    case 'const':
      return ['BASE_TYPE_CHOICES', 'Value must be one of the allowed values.'];
    case 'maximum':
    case 'minimum':
      return ['NUMBER_TYPE_OUT_OF_RANGE', e.message ?? 'Number out of range'];
    default:
      return [`SCHEMA_${e.keyword.toUpperCase()}`, e.message ?? 'Invalid value'];
  }
}

/** Ajv errors to Discord's nested shape, with the noise of non-matching anyOf branches dropped where possible. */
function toErrorTree(errors: ErrorObject[]): ErrorTree {
  const noise = (e: ErrorObject) =>
    e.keyword === 'anyOf' || e.keyword === 'oneOf' || ((e.keyword === 'enum' || e.keyword === 'const') && e.instancePath.endsWith('/type'));
  const weak = (e: ErrorObject) => noise(e) || e.keyword === 'required' || e.keyword === 'type';
  const strong = errors.filter((e) => !weak(e));
  const useful = errors.filter((e) => !noise(e));
  const chosen = strong.length ? strong : useful.length ? useful : errors;
  const tree = new ErrorTree();
  const seen = new Set<string>();
  for (const e of chosen) {
    const path = e.instancePath.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
    if (e.keyword === 'required') path.push(String((e.params as { missingProperty: string }).missingProperty));
    const [code, message] = codeFor(e);
    const key = `${path.join('.')}|${code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    tree.add(path, code, message);
  }
  return tree;
}
