/** Agent (placeholder: being built). */
export function AgentEditPage() {
  return <h1>Agent</h1>;
}
