/** An upstream error body, normalised from whichever shape the provider uses. */
export interface ErrorBodyInfo {
  /** The provider's message; the body's prose when it is not JSON; empty for an empty body. */
  message: string;
  /** The provider's error code, always as a string (`rate_limit_exceeded`, `1300`, `3036`, `429`). */
  code?: string;
  /** The provider's error type (`tokens`, `rate_limited`; Google's `status` such as `RESOURCE_EXHAUSTED`). */
  type?: string;
  /** The provider's `param` (`quota`, `queue` on Cerebras). */
  param?: string;
  /** A numeric status the body carries (NVIDIA's `{status:429}`). */
  status?: number;
  /** OpenRouter's `error.metadata` (`headers`, `raw`, `provider_name`). */
  metadata?: Record<string, unknown>;
  /** Google's `error.details` (`QuotaFailure`, `RetryInfo`, `ErrorInfo`). */
  details?: unknown[];
  /** The parsed JSON, when the body is JSON. */
  json?: unknown;
}

/** Longest prose message kept from a non-JSON body (an HTML error page can be large). */
const MAX_PROSE_LENGTH = 1_000;

/**
 * Normalises every error body shape seen upstream: `{error:{…}}`, `[{error:{…}}]` (Gemini),
 * top-level fields (Mistral, Cerebras), `{status,title}` (NVIDIA), `{errors:[…]}` (Cloudflare),
 * `{error:"text"}`, plain prose and an empty body. Never throws.
 */
export function readErrorBody(text: string): ErrorBodyInfo {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (trimmed === '') return { message: '' };
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return { message: trimmed.slice(0, MAX_PROSE_LENGTH) };
  }
  try {
    return { ...readJson(json), json };
  } catch {
    // Only a pathologically nested body gets here (stack overflow while describing it).
    return { message: trimmed.slice(0, MAX_PROSE_LENGTH), json };
  }
}

function readJson(json: unknown): ErrorBodyInfo {
  const root = Array.isArray(json) ? json.find(isRecord) : json;
  if (!isRecord(root)) {
    return { message: typeof json === 'string' || typeof json === 'number' ? String(json) : '' };
  }
  const { error, errors } = root;
  if (isRecord(error)) return readFields(error, root);
  if (typeof error === 'string') return readFields({ ...root, message: error, error: undefined }, root);
  if (Array.isArray(errors)) {
    const first = errors.find(isRecord);
    if (first !== undefined) return readFields(first, root);
  }
  return readFields(root, root);
}

/** Reads the fields of the object that describes the error, falling back to the root for the status. */
function readFields(source: Record<string, unknown>, root: Record<string, unknown>): ErrorBodyInfo {
  const info: ErrorBodyInfo = { message: messageOf(source) };
  const code = scalarText(source.code);
  if (code !== undefined) info.code = code;
  const type = text(source.type) ?? text(source.error_type) ?? googleStatus(source.status);
  if (type !== undefined) info.type = type;
  const param = text(source.param);
  if (param !== undefined) info.param = param;
  const status = statusOf(source.status) ?? statusOf(root.status) ?? statusOf(root.status_code);
  if (status !== undefined) info.status = status;
  if (isRecord(source.metadata)) info.metadata = source.metadata;
  if (Array.isArray(source.details)) info.details = source.details;
  return info;
}

/** `message`, else FastAPI's `detail`, else a problem+json `detail`/`title`, else `msg`. */
function messageOf(source: Record<string, unknown>): string {
  for (const field of ['message', 'detail', 'title', 'msg', 'error_message', 'description']) {
    const value = source[field];
    const found = describe(value);
    if (found !== undefined && found !== '') return found;
  }
  return '';
}

/** A message may be a string, an object (`{detail:[…]}` on Mistral validation errors) or a list of them. */
function describe(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const parts = value.map((item) => (isRecord(item) ? messageOf(item) : describe(item))).filter(Boolean);
    return parts.length > 0 ? parts.join('; ') : undefined;
  }
  if (isRecord(value)) {
    const inner = messageOf(value);
    return inner !== '' ? inner : JSON.stringify(value);
  }
  return undefined;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return text(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Google's textual status (`RESOURCE_EXHAUSTED`); a numeric one is a status, not a type. */
function googleStatus(value: unknown): string | undefined {
  const found = text(value);
  return found !== undefined && !/^\d+$/.test(found) ? found : undefined;
}

function statusOf(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) && number >= 100 && number <= 599
    ? number
    : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
