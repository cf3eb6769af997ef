/**
 * The value at a dotted path of parsed JSON (`customer.name`, `items.0.id`, `$.a.b`);
 * `undefined` when any step is missing.
 */
export function valueAtPath(json: unknown, path: string): unknown {
  const steps = path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter((s) => s.length > 0);
  let here: unknown = json;
  for (const step of steps) {
    if (Array.isArray(here) && /^\d+$/.test(step)) here = here[Number(step)];
    else if (typeof here === 'object' && here !== null && Object.hasOwn(here, step))
      here = (here as Record<string, unknown>)[step];
    else return undefined;
  }
  return here;
}
