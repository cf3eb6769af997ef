/**
 * `{{name}}` templates in webhook tool URLs: filled from the LLM's arguments, then the call's
 * context variables, each value URL-encoded, in the path and query only (the origin, where
 * credentials are bound, is literal).
 */

const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*\}\}/g;
const ORIGIN_THEN_REST = /^(https?:\/\/[^/?#]+)([/?#].*)?$/i;

/**
 * Why `url` cannot be a tool's URL template, or `undefined` when it can: it must be an
 * `http:`/`https:` URL (with placeholders filled) whose origin holds no placeholder.
 */
export function urlTemplateIssue(url: string): string | undefined {
  const match = ORIGIN_THEN_REST.exec(url);
  if (!match) return 'must be an http: or https: URL';
  if (match[1]!.includes('{{') || match[1]!.includes('}}')) {
    return 'the scheme, host and port must be literal: {{placeholders}} go in the path or query';
  }
  try {
    new URL(url.replace(PLACEHOLDER, 'x'));
  } catch {
    return 'is not a valid URL once its placeholders are filled';
  }
  return undefined;
}

/** The origin of a URL template (checked by {@link urlTemplateIssue}): where its requests go. */
export function templateOrigin(url: string): string {
  return new URL(url.replace(PLACEHOLDER, 'x')).origin;
}

/**
 * Fills the placeholders of `url`: an argument of that name (a string, number or boolean; other
 * values as JSON), else a context variable, else nothing; every value is URL-encoded.
 * @returns the URL, and the names of the arguments it used (they are not sent again in the query or body).
 */
export function renderUrlTemplate(
  url: string,
  args: Readonly<Record<string, unknown>>,
  vars: Readonly<Record<string, string>>,
): { url: string; usedArguments: Set<string> } {
  const usedArguments = new Set<string>();
  const filled = url.replace(PLACEHOLDER, (_, name: string) => {
    if (Object.hasOwn(args, name) && args[name] !== undefined && args[name] !== null) {
      usedArguments.add(name);
      return encodeURIComponent(scalarText(args[name]));
    }
    return encodeURIComponent(Object.hasOwn(vars, name) ? (vars[name] ?? '') : '');
  });
  return { url: filled, usedArguments };
}

/** An argument as text for a URL: strings as they are, other values as JSON. */
export function scalarText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
