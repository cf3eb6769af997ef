/** Calls (placeholder: being built). */
export function CallsPage() {
  return <h1>Calls</h1>;
}
