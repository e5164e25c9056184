/** `POST /prompt`, `GET /prompt` (server.py `post_prompt`, `get_queue_info`). */
import { existsSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { annotated, dirFor, inputImages } from '../files.ts';
import { sendJson } from '../http.ts';
import { currentObjectInfo } from '../objectInfo.ts';
import { isDict, type PyDict, PyFloat, str, type PyValue } from '../pyjson.ts';
import { PyException, pyBool, pyFloatOf } from '../pyops.ts';
import type { ComfyState } from '../state.ts';
import { validatePrompt, type ValidationEnv } from '../validation.ts';
import type { Route } from './types.ts';

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function validationEnv(state: ComfyState): ValidationEnv {
  return {
    objectInfo: currentObjectInfo(state.version, state.models, inputImages(state.dirs.input)),
    newer: state.version === 'newer',
    inputFileExists: (name) => {
      const { name: file, type } = annotated(name);
      const full = path.join(dirFor(state.dirs, type ?? 'input')!, file);
      return existsSync(full) && statSync(full).isFile();
    },
  };
}

const errorBody = (type: string, message: string, details: string) => ({ error: { type, message, details, extra_info: {} }, node_errors: {} });

export const promptRoutes: Route[] = [
  {
    method: 'GET', path: '/prompt',
    handler: (_req, res, state) => sendJson(res, { exec_info: (state.queueInfo() as { exec_info: unknown }).exec_info as PyValue }),
  },
  {
    method: 'POST', path: '/prompt',
    handler: async (req, res, state) => {
      const body = await req.json();
      if (!isDict(body)) throw new PyException('TypeError', 'list indices must be integers or slices, not str');
      let number: bigint | PyFloat;
      if (body.has('number')) {
        number = pyFloatOf(body.get('number')!);
      } else {
        number = body.has('front') && pyBool(body.get('front')!) ? -state.counter : state.counter;
        state.counter++;
      }
      if (!body.has('prompt')) return sendJson(res, errorBody('no_prompt', 'No prompt provided', 'No prompt provided'), 400);
      const prompt = body.get('prompt')!;
      if (!isDict(prompt)) throw new PyException('TypeError', `'${prompt === null ? 'NoneType' : typeof prompt}' object is not iterable`);
      const rawId = body.get('prompt_id');
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
      const result = validatePrompt(prompt, validationEnv(state), body.get('partial_execution_targets'));
      const extraData = (body.has('extra_data') ? body.get('extra_data') : new Map()) as PyDict;
      if (!isDict(extraData)) throw new PyException('TypeError', "'list' object does not support item assignment");
      if (body.has('client_id')) extraData.set('client_id', body.get('client_id')!);
      if (state.version === 'newer') extraData.set('create_time', BigInt(Date.now()));
      if (!result.ok) return sendJson(res, { error: result.error, node_errors: result.nodeErrors }, 400);
      state.put({ number, promptId, prompt: result.prompt, extraData, outputs: result.goodOutputs });
      sendJson(res, { prompt_id: promptId, number, node_errors: result.nodeErrors });
    },
  },
];
