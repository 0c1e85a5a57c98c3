import type { z } from 'zod/v4';

/** The success bodies the client checks, by name (see schemas.ts). */
export type SchemaName = 'generate' | 'delete';

/** The shape each named body parses to. */
export interface SchemaShapes {
  generate: { success: true; message: string; imageUrl: string };
  delete: { success: true; deleted: string };
}

let loading: Promise<typeof import('./schemas.js')> | undefined;

/**
 * The zod schema of a success body, loaded on first use: importing the core then costs a third
 * of what it did with zod loaded up front (bench/core-import.ts).
 * @throws the import's error when the module cannot be loaded (a broken install); the next call tries again
 */
export async function loadSchema<N extends SchemaName>(name: N): Promise<z.ZodType<SchemaShapes[N]>> {
  if (!loading) {
    loading = import('./schemas.js');
    loading.catch(() => {
      loading = undefined;
    });
  }
  const schemas = await loading;
  return (name === 'generate' ? schemas.generateResponseSchema : schemas.deleteResponseSchema) as unknown as z.ZodType<
    SchemaShapes[N]
  >;
}
