import { z } from 'zod';
import { serverSettingsSchema } from '../config/server-config-schema.ts';
import { patchSchemaOf } from './patch-schema-of.ts';

/** The config file's settings as written, client and admin keys masked. */
export const settingsViewSchema = serverSettingsSchema;

/** `GET /api/settings`. */
export const settingsAnswerSchema = z.object({
  settings: settingsViewSchema,
  persisted: z.boolean(),
  /** The config file; null in environment and demo modes. */
  path: z.string().nullable(),
});

/** `PATCH /api/settings`'s answer. */
export const settingsPatchAnswerSchema = settingsAnswerSchema.omit({ path: true });

/** `PATCH /api/settings`: settings to change; `null` restores a default. Masked keys sent back keep their keys. */
export const settingsPatchSchema = patchSchemaOf(serverSettingsSchema);
