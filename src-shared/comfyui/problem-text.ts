/**
 * Phrasing shared by the local validator and by `ComfyValidationError`, so a problem reads the
 * same whether we caught it before submitting or ComfyUI answered 400.
 */

export function nodeLabel(nodeId: string, classType: string | undefined): string {
  return `${classType ?? 'node'} (node ${nodeId})`;
}

export function where(nodeId: string, classType: string | undefined, input?: string): string {
  return input ? `${nodeLabel(nodeId, classType)} input '${input}'` : nodeLabel(nodeId, classType);
}

export function formatValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'bigint') return value.toString();
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    } catch {
      return String(value);
    }
  }
  return String(value);
}

export function formatChoices(values: readonly unknown[], shown = 8): string {
  if (values.length === 0) return 'none are available';
  const head = values.slice(0, shown).map(formatValue).join(', ');
  return values.length > shown ? `${head} … and ${values.length - shown} more` : head;
}

export const say = {
  aboveMax: (value: unknown, max: unknown) => `value ${formatValue(value)} is above the maximum ${formatValue(max)} — lower it`,
  belowMin: (value: unknown, min: unknown) => `value ${formatValue(value)} is below the minimum ${formatValue(min)} — raise it`,
  notInList: (value: unknown, choices?: readonly unknown[]) =>
    `value ${formatValue(value)} is not available on this instance` +
    (choices ? ` (choices: ${formatChoices(choices)})` : '') +
    ' — pick one of the listed values (for a model file: install it or choose an installed one)',
  missing: () => 'required input is missing — supply a value or a link',
  wrongType: (value: unknown, type: string) =>
    `value ${formatValue(value)} cannot be read as ${type} — send a ${type === 'INT' ? 'whole number' : type === 'FLOAT' ? 'number' : type}`,
  typeMismatch: (received: string, expected: string, from?: string) =>
    `is linked to an output of type ${received}${from ? ` of node ${from}` : ''} but expects ${expected} — link an output of type ${expected}`,
  badLink: (value: unknown) => `value ${formatValue(value)} is not a link [node_id, output_index] — use a 2-element [string, integer] list, or wrap a list literal as {"__value__": [...]}`,
};
