import { aliasOf } from '../config/model-aliases.ts';
import type { ResolvedConfig } from '../config/resolve-config.ts';
import { requestIdHeaders } from './request-id.ts';

/** One model as `GET /v1/models` lists it (OpenAI's shape, with 429chain's fields). */
type ModelRecord = Record<string, unknown> & { id: string };

/** Chains first, as models, then every `provider/model` entry, then the aliases. */
function allModels(config: ResolvedConfig): ModelRecord[] {
  const data: ModelRecord[] = [];
  for (const chain of config.chains.values()) {
    data.push({
      id: chain.name,
      object: 'model',
      created: 0,
      owned_by: '429chain',
      kind: chain.kind,
      entries: chain.entries.map((entry) => `${entry.provider.id}/${entry.model}`),
    });
  }
  const seen = new Set<string>();
  for (const chain of config.chains.values()) {
    for (const entry of chain.entries) {
      const id = `${entry.provider.id}/${entry.model}`;
      if (seen.has(id)) continue;
      seen.add(id);
      data.push({ id, object: 'model', created: 0, owned_by: entry.provider.id, kind: chain.kind });
    }
  }
  for (const alias of config.aliases) {
    data.push({
      id: alias.pattern,
      object: 'model',
      created: 0,
      owned_by: '429chain',
      alias_of: alias.target,
    });
  }
  return data;
}

/** The model a client names: a chain, an entry, a listed alias, or a name an alias matches. */
function findModel(config: ResolvedConfig, id: string): ModelRecord | undefined {
  const models = allModels(config);
  const listed = models.find((model) => model.id === id);
  if (listed) return listed;
  const target = aliasOf(config, id);
  if (target === id) return undefined;
  return { id, object: 'model', created: 0, owned_by: '429chain', alias_of: target };
}

/** Whether a request speaks Anthropic's dialect (its SDKs always send `anthropic-version`). */
export function isAnthropicRequest(request: Request): boolean {
  return request.headers.has('anthropic-version');
}

function anthropicModel(model: ModelRecord): Record<string, unknown> {
  return {
    type: 'model',
    id: model.id,
    display_name: model.alias_of ? `${model.id} → ${String(model.alias_of)}` : model.id,
    created_at: '1970-01-01T00:00:00Z',
  };
}

function json(body: unknown, status: number, requestId: string): Response {
  return new Response(JSON.stringify(body), { status, headers: requestIdHeaders(requestId) });
}

/** `GET /v1/models`, in OpenAI's list shape or, for Anthropic clients, in theirs. */
export function listModels(config: ResolvedConfig, requestId: string, anthropic = false): Response {
  const data = allModels(config);
  if (!anthropic) return json({ object: 'list', data }, 200, requestId);
  const models = data.map(anthropicModel);
  return json(
    { data: models, has_more: false, first_id: models[0]?.id ?? null, last_id: models.at(-1)?.id ?? null },
    200,
    requestId,
  );
}

/** `GET /v1/models/{id}` for a chain, an entry or an alias; 404 in the caller's dialect otherwise. */
export function retrieveModel(
  config: ResolvedConfig,
  id: string,
  requestId: string,
  anthropic = false,
): Response {
  const model = findModel(config, id);
  if (model) return json(anthropic ? anthropicModel(model) : model, 200, requestId);
  const message = `The model '${id}' does not exist: no chain, provider/model entry or alias of that name.`;
  return anthropic
    ? json({ type: 'error', error: { type: 'not_found_error', message } }, 404, requestId)
    : json(
        { error: { message, type: 'invalid_request_error', code: 'model_not_found', param: 'model' } },
        404,
        requestId,
      );
}
