/**
 * Fill `{{name}}` placeholders from `vars`; unknown names become empty strings.
 * Whitespace inside the braces is allowed (`{{ name }}`).
 */
export function renderTemplate(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (_, name: string) => vars[name] ?? '');
}
