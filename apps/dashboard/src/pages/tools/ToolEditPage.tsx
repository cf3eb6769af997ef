/** Tool (placeholder: being built). */
export function ToolEditPage() {
  return <h1>Tool</h1>;
}
