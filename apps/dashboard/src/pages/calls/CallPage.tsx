/** Call (placeholder: being built). */
export function CallPage() {
  return <h1>Call</h1>;
}
