import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../errors/classes.js';

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((part) => String(part)).join('.');
}

/** Turns zod issues into ValidationIssues whose path names the field (prefixed by `root`). */
export function toIssues(error: z.ZodError, root: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const issue of error.issues) {
    const base = formatPath(issue.path);
    const prefix = root && base ? `${root}.${base}` : root || base;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({ path: prefix ? `${prefix}.${key}` : key, message: `unknown field "${key}"` });
      }
      continue;
    }
    if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
      issues.push({ path: prefix, message: issue.message });
      continue;
    }
    issues.push({ path: prefix, message: issue.message });
  }
  return issues;
}

/** Parses `value` with `schema`, or throws a ValidationError naming every bad field. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, root: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(toIssues(result.error, root));
}
