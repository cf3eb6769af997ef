import { ApiError } from '../api/client.ts';

/** Shows what went wrong: the API's message and its issues, or a generic sentence. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  if (error == null) return null;
  const message = error instanceof Error ? error.message : 'Something went wrong';
  const issues = error instanceof ApiError ? error.issues : [];
  return (
    <div className="notice notice-error" role="alert">
      {title !== undefined && <strong>{title}: </strong>}
      {message}
      {issues.length > 0 && (
        <ul>
          {issues.map((issue) => (
            <li key={issue}>{issue}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
