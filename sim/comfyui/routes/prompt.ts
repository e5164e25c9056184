/** `POST /prompt`, `GET /prompt` (server.py `post_prompt`, `get_queue_info`). */
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { annotated, dirFor, inputImages, pyJoin } from '../files.ts';
import type { ServerResponse } from 'node:http';
import { sendJson, type Req } from '../http.ts';
import { currentObjectInfo } from '../objectInfo.ts';
import { pyContains, pyGetItem, pySetItem } from '../pycontainers.ts';
import { isDict, type PyDict, PyFloat, str, typeName, type PyValue } from '../pyjson.ts';
import { PyException, pyBool, pyFloatOf } from '../pyops.ts';
import type { ComfyState } from '../state.ts';
import { validatePrompt, type ValidationEnv } from '../validation.ts';
import type { Route } from './types.ts';

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function validationEnv(state: ComfyState): ValidationEnv {
  return {
    objectInfo: currentObjectInfo(state.version, state.models, inputImages(state.dirs.input), state.customNodes),
    newer: state.version === 'newer',
    inputFileExists: (name) => {
      // folder_paths.exists_annotated_filepath: os.path.exists, so a directory counts.
      const { name: file, type } = annotated(name);
      return existsSync(pyJoin(dirFor(state.dirs, type ?? 'input')!, file));
    },
  };
}

const errorBody = (type: string, message: string, details: string) => ({ error: { type, message, details, extra_info: {} }, node_errors: {} });

const SENSITIVE_EXTRA_DATA_KEYS = ['auth_token_comfy_org', 'api_key_comfy_org'];

/** `extra_data.pop(key)` on whatever the client sent (NEWER moves the sensitive keys out of extra_data). */
function pop(container: PyValue, key: string): void {
  if (isDict(container)) container.delete(key);
  else if (Array.isArray(container)) throw new PyException('TypeError', "'str' object cannot be interpreted as an integer");
  else throw new PyException('AttributeError', `'${typeName(container)}' object has no attribute 'pop'`);
}

/**
 * `post_prompt`. ComfyUI checks no types: it uses `in`, `[]` and `float()` on whatever JSON arrived, so a
 * list body lacks "prompt" (400) while a string body containing the word "prompt" cannot be indexed (500).
 */
async function postPrompt(req: Req, res: ServerResponse, state: ComfyState): Promise<void> {
  const body = await req.json();
  let number: bigint | PyFloat;
  if (pyContains(body, 'number')) {
    number = pyFloatOf(pyGetItem(body, 'number'));
  } else {
    number = pyContains(body, 'front') && pyBool(pyGetItem(body, 'front')) ? -state.counter : state.counter;
    state.counter++;
  }
  if (!pyContains(body, 'prompt')) return sendJson(res, errorBody('no_prompt', 'No prompt provided', 'No prompt provided'), 400);
  const prompt = pyGetItem(body, 'prompt');
  const json = body as PyDict; // only a dict can be indexed by "prompt"
  const rawId = json.get('prompt_id');
  let promptId: string;
  if (state.version === 'newer') {
    if (rawId === undefined || rawId === null) promptId = randomUUID();
    else if (typeof rawId === 'string' && CANONICAL_UUID.test(rawId)) promptId = rawId;
    else {
      return sendJson(res, errorBody('invalid_prompt_id', 'prompt_id must be a valid UUID',
        'prompt_id must be a UUID string in canonical lowercase hyphenated form; omit it to let the server generate one'), 400);
    }
  } else {
    promptId = rawId === undefined ? randomUUID() : str(rawId);
  }
  const result = validatePrompt(prompt, validationEnv(state), json.has('partial_execution_targets') ? json.get('partial_execution_targets') : null);
  const extraData: PyValue = json.has('extra_data') ? json.get('extra_data')! : new Map();
  if (json.has('client_id')) pySetItem(extraData, 'client_id', json.get('client_id')!);
  const usageSource = req.headers['comfy-usage-source'];
  if (state.version === 'newer' && !pyContains(extraData, 'comfy_usage_source') && typeof usageSource === 'string' && usageSource) {
    pySetItem(extraData, 'comfy_usage_source', usageSource);
  }
  if (!result.ok) return sendJson(res, { error: result.error, node_errors: result.nodeErrors }, 400);
  if (state.version === 'newer') {
    for (const key of SENSITIVE_EXTRA_DATA_KEYS) if (pyContains(extraData, key)) pop(extraData, key);
    pySetItem(extraData, 'create_time', BigInt(Date.now()));
  }
  state.put({ number, promptId, prompt: result.prompt, extraData, outputs: result.goodOutputs });
  sendJson(res, { prompt_id: promptId, number, node_errors: result.nodeErrors });
}

export const promptRoutes: Route[] = [
  {
    method: 'GET', path: '/prompt',
    handler: (_req, res, state) => sendJson(res, { exec_info: (state.queueInfo() as { exec_info: unknown }).exec_info as PyValue }),
  },
  { method: 'POST', path: '/prompt', handler: postPrompt },
];
