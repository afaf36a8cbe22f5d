import type { z } from 'zod';

/** An HTTP method of the admin API. */
export type EndpointMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A success answer of an endpoint: JSON described by `schema`, an event stream, or no body. */
export interface EndpointResponse {
  description: string;
  /** The JSON body; absent for `204` and event streams. */
  schema?: z.ZodType | undefined;
  /** The answer is `text/event-stream` (instead of, or as well as, JSON). */
  eventStream?: boolean | undefined;
}

/** The JSON body an endpoint takes. */
export interface EndpointBody {
  schema: z.ZodType;
  /**
   * Who validates it: `schema` (the handler parses the body with it: a problem is a 400
   * `invalid_value` naming the field), or `config-file` (an edit of the config file: the
   * edited file is validated with the server's config schema, which holds this schema, and
   * the problems come back as `issues` with paths relative to the body).
   */
  validatedBy: 'schema' | 'config-file';
  /** Whether a body must be sent. @default true */
  required?: boolean | undefined;
  /** A body the endpoint accepts (documented, and sent by the contract test). */
  example?: unknown;
}

/**
 * One admin API endpoint: the single description its handler validates with, its types are
 * derived from, and the OpenAPI document is generated from.
 */
export interface Endpoint {
  method: EndpointMethod;
  /** The path, with `:name` parameters (`/api/providers/:id`). */
  path: string;
  summary: string;
  /** What each path parameter names. */
  params?: Readonly<Record<string, string>> | undefined;
  /** The query string, one field per parameter (each field's `description` meta documents it). */
  query?: z.ZodObject | undefined;
  body?: EndpointBody | undefined;
  /** Success answers by status. */
  responses: Readonly<Record<number, EndpointResponse>>;
  /** Error statuses besides 400, 401 and 403 (which every endpoint may answer), and when. */
  errors?: Readonly<Record<number, string>> | undefined;
}

/** Declares an endpoint, keeping its literal types for the handler's input and output. */
export function defineEndpoint<const Declared extends Endpoint>(endpoint: Declared): Declared {
  return endpoint;
}

/** The body an endpoint's handler receives: parsed with its schema, or the raw object of an edit. */
export type EndpointBodyOf<Declared extends Endpoint> = Declared['body'] extends {
  schema: infer Schema extends z.ZodType;
  validatedBy: 'schema';
}
  ? z.output<Schema>
  : Declared['body'] extends EndpointBody
    ? Record<string, unknown>
    : undefined;

/** The query an endpoint's handler receives, parsed. */
export type EndpointQueryOf<Declared extends Endpoint> = Declared['query'] extends z.ZodType
  ? z.output<Declared['query']>
  : undefined;

/** The path parameters an endpoint's handler receives. */
export type EndpointParamsOf<Declared extends Endpoint> =
  Declared['params'] extends Readonly<Record<string, string>>
    ? { [Name in keyof Declared['params']]: string }
    : Record<string, never>;

/** A JSON answer of an endpoint: one of its statuses, with a body its schema describes. */
export type EndpointReplyOf<Declared extends Endpoint> = {
  [Status in keyof Declared['responses']]: Declared['responses'][Status] extends {
    schema: infer Schema extends z.ZodType;
  }
    ? { status: Status; body: z.input<Schema> }
    : never;
}[keyof Declared['responses']];

/** The JSON body of an endpoint's answer with `status`. */
export type EndpointAnswer<
  Declared extends Endpoint,
  Status extends keyof Declared['responses'] = 200 extends keyof Declared['responses']
    ? 200
    : keyof Declared['responses'],
> = Declared['responses'][Status] extends { schema: infer Schema extends z.ZodType }
  ? z.output<Schema>
  : never;

/** The body an endpoint takes, as the client sends it. */
export type EndpointInput<Declared extends Endpoint> = Declared['body'] extends {
  schema: infer Schema extends z.ZodType;
}
  ? z.input<Schema>
  : never;
