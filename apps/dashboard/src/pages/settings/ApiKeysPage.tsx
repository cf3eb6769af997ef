/** API keys (placeholder: being built). */
export function ApiKeysPage() {
  return <h1>API keys</h1>;
}
