/** Live calls (placeholder: being built). */
export function LivePage() {
  return <h1>Live calls</h1>;
}
