/**
 * How the command-line tools (the demo caller) authenticate to the server's `/api/*`: the API
 * key in `PARLEY_API_KEY`, else signing in as `admin` with `PARLEY_ADMIN_PASSWORD` or the
 * first-start password file (`$DATA_DIR/admin-password.txt`, as `npm start` writes it).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ADMIN_PASSWORD_FILE, FIRST_ADMIN_USERNAME } from '../auth/first-admin.ts';

/**
 * Headers for GET requests to `server`'s API (`{ headers }`), or why there are none: no
 * credentials, or the sign-in failed (`{ problem }`, a clause to show the user).
 */
export async function apiReadHeaders(
  server: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ headers: Record<string, string> } | { problem: string }> {
  const apiKey = env.PARLEY_API_KEY?.trim();
  if (apiKey) return { headers: { authorization: `Bearer ${apiKey}` } };

  let password = env.PARLEY_ADMIN_PASSWORD || undefined;
  if (password === undefined) {
    const file = path.resolve(env.DATA_DIR ?? '.data', ADMIN_PASSWORD_FILE);
    try {
      password = (await readFile(file, 'utf8')).trim();
    } catch {
      return { problem: `set PARLEY_API_KEY (no ${file} to sign in with)` };
    }
  }
  const res = await fetch(`${server}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: FIRST_ADMIN_USERNAME, password }),
  });
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';', 1)[0])
    .join('; ');
  if (!res.ok || cookie === '')
    return { problem: `signing in as ${FIRST_ADMIN_USERNAME} failed (${res.status}); set PARLEY_API_KEY` };
  return { headers: { cookie } };
}
