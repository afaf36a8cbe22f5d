import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findControlCharacter } from '../config/find-control-character.ts';
import { InvalidRequestError } from '../errors.ts';
import { encodeHeaderValue } from '../routing/header-value.ts';
import { jsonDepthLimit, parseJsonBody } from './parse-json-body.ts';
import { chatRequestSchema, embeddingsRequestSchema, modelNameLimit } from './request-schemas.ts';

/** A model name a client may send: any Unicode but controls, line separators and lone surrogates. */
const goodName = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
  .filter((name) => findControlCharacter(name) === undefined);
const control = fc.constantFrom(
  '\r',
  '\n',
  '\r\n',
  '\u0000',
  '\u2028',
  '\u2029',
  '\u007f',
  '\u0085',
  '\t',
  '\ud800',
);
const message = fc.record({
  role: fc.constantFrom('system', 'user', 'assistant', 'developer'),
  content: fc.oneof(fc.string(), fc.constant(null)),
});

describe('request validator (properties)', () => {
  it('accepts every well-formed chat request and returns it untouched', () => {
    fc.assert(
      fc.property(
        goodName,
        fc.array(message, { minLength: 1, maxLength: 4 }),
        fc.option(fc.boolean(), { nil: undefined }),
        fc.dictionary(fc.stringMatching(/^x_[a-z]{1,8}$/), fc.jsonValue({ maxDepth: 4 })),
        (model, messages, stream, extra) => {
          const body = { ...extra, model, messages, ...(stream === undefined ? {} : { stream }) };
          expect(parseJsonBody(JSON.stringify(body), chatRequestSchema)).toEqual(
            JSON.parse(JSON.stringify(body)),
          );
        },
      ),
    );
  });

  it('refuses a model with a control character, a line separator or a lone surrogate: 400 naming model', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        control,
        fc.string({ maxLength: 20 }),
        (before, bad, after) => {
          const text = JSON.stringify({ model: `${before}${bad}${after}`, input: 'x' });
          const error = (() => {
            try {
              parseJsonBody(text, embeddingsRequestSchema);
            } catch (caught) {
              return caught;
            }
          })();
          expect(error).toBeInstanceOf(InvalidRequestError);
          expect((error as InvalidRequestError).param).toBe('model');
          expect((error as InvalidRequestError).status).toBe(400);
        },
      ),
    );
  });

  it('refuses a model longer than the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: modelNameLimit + 1, max: modelNameLimit * 8 }), (length) => {
        expect(() =>
          parseJsonBody(JSON.stringify({ model: 'm'.repeat(length), input: 'x' }), embeddingsRequestSchema),
        ).toThrow(/at most 256 characters/);
      }),
      { numRuns: 20 },
    );
  });

  it('answers any text with a parsed body or an InvalidRequestError, never anything else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json({ maxDepth: 6 }),
          fc.jsonValue().map((value) => JSON.stringify({ model: 'm', messages: value })),
        ),
        (text) => {
          try {
            parseJsonBody(text, chatRequestSchema);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidRequestError);
            expect((error as InvalidRequestError).status).toBe(400);
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it(`refuses nesting deeper than ${jsonDepthLimit} levels wherever it is, and accepts it up to the limit`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: jsonDepthLimit * 40 }),
        fc.constantFrom('[', '{"a":'),
        (depth, open) => {
          const close = open === '[' ? ']' : '}';
          const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
          const text = `{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":${nested}}`;
          // The body is level 1, metadata's value level 2: `depth` brackets reach level depth + 1.
          if (depth + 1 <= jsonDepthLimit) expect(() => parseJsonBody(text, chatRequestSchema)).not.toThrow();
          else expect(() => parseJsonBody(text, chatRequestSchema)).toThrow(/nests deeper than/);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('encodes any name into a valid header value that decodes back to it', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 80 }),
        fc.string({ maxLength: 40 }),
        (name, binary) => {
          for (const value of [name, binary]) {
            const encoded = encodeHeaderValue(value);
            expect(encoded).toMatch(/^[\x20-\x7e]*$/);
            expect(() => new Headers({ 'x-429chain-model': encoded })).not.toThrow();
            if (!/[\ud800-\udfff]/.test(value) || value === name)
              expect(decodeURIComponent(encoded)).toBe(value);
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
