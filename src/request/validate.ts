import { ValidationError, type ValidationIssue } from '../errors/classes.js';
import type { Check, Issue } from './check.js';

/** Appends `issues` to `out` as ValidationIssues whose path names the field (prefixed by `root`). */
function collect(issues: readonly Issue[], root: string, out: ValidationIssue[]): void {
  for (const issue of issues) {
    const path = root && issue.path ? `${root}.${issue.path}` : root || issue.path;
    out.push({ path, message: issue.message });
  }
}

/** Checks `value`; on failure appends its issues, named under `root`, to `out`. */
export function validate<T>(check: Check<T>, value: unknown, root: string, out: ValidationIssue[]): value is T {
  const issues: Issue[] = [];
  if (check(value, issues)) return true;
  collect(issues, root, out);
  return false;
}

/** Returns `value` itself when it passes `check`, or throws a ValidationError naming every bad field. */
export function parseOrThrow<T>(check: Check<T>, value: unknown, root: string): T {
  const issues: Issue[] = [];
  if (check(value, issues)) return value;
  const out: ValidationIssue[] = [];
  collect(issues, root, out);
  throw new ValidationError(out);
}
