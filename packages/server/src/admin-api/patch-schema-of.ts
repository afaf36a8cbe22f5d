import { z } from 'zod';

/**
 * The body of a PATCH of an object `schema` describes: every field optional, and `null`
 * to remove it (back to its default). Unknown fields stay refused.
 */
export function patchSchemaOf<Shape extends z.ZodRawShape>(schema: z.ZodObject<Shape>) {
  const shape = Object.fromEntries(
    Object.entries(schema.shape).map(([key, field]) => [key, (field as z.ZodType).nullable().optional()]),
  ) as unknown as { [Key in keyof Shape]: z.ZodOptional<z.ZodNullable<Shape[Key]>> };
  return z.strictObject(shape);
}
