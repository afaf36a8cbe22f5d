/**
 * The test projects, one per package. The root `vitest.config.ts` passes this
 * list to `test.projects` (current Vitest reads projects from the config).
 */
export default ['packages/*'];
