/** Test call (placeholder: being built). */
export function TestCallPage() {
  return <h1>Test call</h1>;
}
