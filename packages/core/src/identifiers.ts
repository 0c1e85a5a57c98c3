import { GenimixValidationError } from './errors.js';

/**
 * An identifier the contract allows for `projectId` and `imageId`: 1–128 characters of
 * `A–Z a–z 0–9 . _ -`, and neither `.` nor `..` (genimix-api.md, "Identifiers").
 */
export const ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** The largest identifier length the contract allows, in characters. */
export const MAX_ID_LENGTH = 128;

/**
 * Checks a `projectId` or `imageId` and returns it unchanged.
 *
 * @param field the parameter's name, used in the error (`imageId`, `projectId`, or a surface's own name)
 * @throws {GenimixValidationError} naming `field`, saying what is wrong and what is allowed
 */
export function checkId(field: string, value: unknown): string {
  const allowed = 'use 1–128 characters of A–Z, a–z, 0–9, ".", "_" or "-"';
  if (typeof value !== 'string') {
    throw new GenimixValidationError(field, `${field} must be a string (${allowed}); got ${describe(value)}.`);
  }
  if (value.length === 0) {
    throw new GenimixValidationError(field, `${field} is empty: ${allowed}.`);
  }
  if (value.length > MAX_ID_LENGTH) {
    throw new GenimixValidationError(field, `${field} is ${value.length} characters long: ${allowed}.`);
  }
  // "." and ".." would become path segments that a proxy or the server may resolve.
  if (value === '.' || value === '..') {
    throw new GenimixValidationError(
      field,
      `${field} "${value}" is not allowed: it would be read as a path segment; choose a name with other characters.`,
    );
  }
  if (!ID_PATTERN.test(value)) {
    const bad = [...new Set([...value].filter((c) => !/[A-Za-z0-9._-]/.test(c)))]
      .map((c) => JSON.stringify(c))
      .join(', ');
    throw new GenimixValidationError(field, `${field} ${JSON.stringify(value)} contains ${bad}: ${allowed}.`);
  }
  return value;
}

/**
 * A fresh identifier for a new image: `img-` and a random UUID (40 characters, always valid).
 */
export function createImageId(): string {
  return `img-${crypto.randomUUID()}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
