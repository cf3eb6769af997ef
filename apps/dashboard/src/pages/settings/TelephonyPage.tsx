/** Telephony settings (placeholder: being built). */
export function TelephonyPage() {
  return <h1>Telephony settings</h1>;
}
