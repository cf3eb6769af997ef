import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { z } from 'zod';
import { api, setCsrfToken } from '../../api/client.ts';
import { useSession, useSessionReset } from '../../auth/session.tsx';
import { ErrorNotice } from '../../ui/ErrorNotice.tsx';
import { Field } from '../../ui/Field.tsx';

const loginSchema = z.object({
  username: z.string().trim().min(1, 'Enter your username'),
  password: z.string().min(1, 'Enter your password'),
});
type Login = z.infer<typeof loginSchema>;

/** Sign-in with a username and password; goes back to the page that asked for it. */
export function LoginPage() {
  const { principal } = useSession();
  const reset = useSessionReset();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  const form = useForm<Login>({
    resolver: zodResolver(loginSchema),
    defaultValues: { username: '', password: '' },
  });
  const login = useMutation({
    mutationFn: (body: Login) => api<{ csrfToken: string }>('POST', '/api/auth/login', body),
    onSuccess: async (answer) => {
      await reset();
      setCsrfToken(answer.csrfToken);
      await navigate(from, { replace: true });
    },
  });
  if (principal != null && !login.isPending) return <Navigate to={from} replace />;
  const { errors } = form.formState;
  return (
    <main className="login" id="main">
      <h1>Sign in to Parley</h1>
      <form onSubmit={form.handleSubmit((values) => login.mutate(values))} noValidate>
        <Field label="Username" error={errors.username?.message}>
          <input autoComplete="username" {...form.register('username')} />
        </Field>
        <Field label="Password" error={errors.password?.message}>
          <input type="password" autoComplete="current-password" {...form.register('password')} />
        </Field>
        <ErrorNotice error={login.error} />
        <button type="submit" className="primary" disabled={login.isPending}>
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
