import type { ResolvedConfig } from '../config/resolve-config.ts';

/** `GET /v1/models`: chains first, as models, then every `provider/model` entry. */
export function listModels(config: ResolvedConfig, requestId: string): Response {
  const data: Array<Record<string, unknown>> = [];
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
  return new Response(JSON.stringify({ object: 'list', data }), {
    status: 200,
    headers: { 'content-type': 'application/json', 'x-429chain-request-id': requestId },
  });
}
