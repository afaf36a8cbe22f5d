import { dropImages, dropProviderFields } from '../providers/portable-history.ts';
import type { Candidate } from './candidate.ts';

/**
 * The chat body as the candidate's provider will take it: the preset's `rewriteRequest` hook
 * (tool-call id shapes, fields it rejects; by default provider-only assistant fields dropped),
 * and images left out for an entry without vision whose capabilities say `dropImages`. Each
 * rule copies the body only when it changes something, so a plain request costs a glance.
 */
export function rewriteForProvider(
  body: Record<string, unknown>,
  candidate: Candidate,
): Record<string, unknown> {
  if (!Array.isArray(body.messages)) return body;
  const { preset } = candidate.entry.provider;
  let rewritten = preset.rewriteRequest ? preset.rewriteRequest(body) : dropProviderFields(body);
  const capabilities = candidate.entry.capabilities;
  if (capabilities.vision === false && capabilities.dropImages === true) rewritten = dropImages(rewritten);
  return rewritten;
}
