/**
 * A recipient file's param columns against its template's variables, checked once for the file:
 * every row has the header's columns, so a column named `Name` for `${name}` used to reject every
 * row, each with the same two reasons, and a million-row file was refused with a million of them.
 */
import { looseName } from '../src/sms/template.js';
import { mention, quoted } from '../src/setting-mention.js';
import type { FileColumns } from './recipient-source.js';
import { quoteExcerpt } from './text-excerpt.js';

/** One column problem: `field` is the header's line (`file:1`). */
export interface ColumnIssue {
  field: string;
  message: string;
}


/**
 * What is wrong with `columns` for a template using `vars` (its `${...}` names, case-sensitive as
 * Dysmsapi reads them), with `shared` giving every recipient the same values: a column that is no
 * variable (with the variable it was likely meant for), and a variable that neither a column nor
 * `shared` fills. Empty when the file fits.
 */
export function checkParamColumns(
  columns: FileColumns,
  vars: readonly string[],
  shared: Readonly<Record<string, unknown>> | undefined,
  templateCode: string,
): ColumnIssue[] {
  const issues: ColumnIssue[] = [];
  const known = new Set(vars);
  const uses = vars.length ? `it uses ${vars.map((v) => `\${${v}}`).join(', ')}` : 'it has no variables';
  const meant = new Set<string>();
  for (const column of columns.params) {
    if (known.has(column)) continue;
    // The variable it was likely meant for, once: a second column meant for it is only extra.
    const likely = vars.find((v) => looseName(v) === looseName(column) && !columns.params.includes(v) && !meant.has(v));
    if (likely !== undefined) meant.add(likely);
    const sharedToo = likely !== undefined && shared !== undefined && likely in shared;
    const fix =
      likely === undefined
        ? vars.length
          ? 'rename it after one of those variables, or delete the column'
          : 'delete the column'
        : sharedToo
          ? `rename the column ${quoted(likely)} to give each recipient their own value (variable names must match exactly), or delete it to give all the shared one`
          : `rename the column ${quoted(likely)} (variable names must match exactly)`;
    issues.push({ field: columns.field, message: `column ${quoteExcerpt(column)} is not a variable of template ${templateCode} (${uses}; nothing was enqueued). Fix: ${fix}` });
  }
  const given = new Set([...columns.params, ...Object.keys(shared ?? {})]);
  for (const name of vars) {
    if (given.has(name) || meant.has(name)) continue;
    if (columns.headerless) {
      // A list of numbers alone: the fix is a header row to name a column by, or the shared params.
      issues.push({
        field: columns.field,
        message: `template ${templateCode} uses \${${name}}, but the file has no header row (its first line is a number), so no column gives it, and no shared param gives it (nothing was enqueued). Fix: a header row naming the columns, with one named ${quoted(name)} (e.g. phone,${name}), or give every recipient the same value with ${mention('templateParam', { [name]: '...' })}`,
      });
      continue;
    }
    issues.push({
      field: columns.field,
      message: `template ${templateCode} uses \${${name}}, but no column is named ${quoted(name)} and no shared param gives it (nothing was enqueued). Fix: add a column ${quoted(name)}, or give every recipient the same value with ${mention('templateParam', { [name]: '...' })}`,
    });
  }
  return issues;
}
