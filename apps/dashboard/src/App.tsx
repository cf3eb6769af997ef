import { Navigate, Route, Routes } from 'react-router';
import { RequireSession } from './auth/session.tsx';
import { Shell } from './layout/Shell.tsx';
import { AgentEditPage } from './pages/agents/AgentEditPage.tsx';
import { AgentsPage } from './pages/agents/AgentsPage.tsx';
import { LoginPage } from './pages/auth/LoginPage.tsx';
import { CallPage } from './pages/calls/CallPage.tsx';
import { CallsPage } from './pages/calls/CallsPage.tsx';
import { FlowEditorPage } from './pages/flows/FlowEditorPage.tsx';
import { LivePage } from './pages/live/LivePage.tsx';
import { TestCallPage } from './pages/live/TestCallPage.tsx';
import { ApiKeysPage } from './pages/settings/ApiKeysPage.tsx';
import { TelephonyPage } from './pages/settings/TelephonyPage.tsx';
import { UsersPage } from './pages/settings/UsersPage.tsx';
import { ToolEditPage } from './pages/tools/ToolEditPage.tsx';
import { ToolsPage } from './pages/tools/ToolsPage.tsx';

/** Every page of the dashboard; all but sign-in need a session (admin pages need the admin role). */
export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        element={
          <RequireSession>
            <Shell />
          </RequireSession>
        }
      >
        <Route index element={<Navigate to="/agents" replace />} />
        <Route path="agents" element={<AgentsPage />} />
        <Route path="agents/new" element={<AgentEditPage />} />
        <Route path="agents/:agentId" element={<AgentEditPage />} />
        <Route path="agents/:agentId/flow" element={<FlowEditorPage />} />
        <Route path="agents/:agentId/test-call" element={<TestCallPage />} />
        <Route path="tools" element={<ToolsPage />} />
        <Route path="tools/new" element={<ToolEditPage />} />
        <Route path="tools/:toolId" element={<ToolEditPage />} />
        <Route path="calls" element={<CallsPage />} />
        <Route path="calls/:callId" element={<CallPage />} />
        <Route path="live" element={<LivePage />} />
        <Route path="settings/telephony" element={<TelephonyPage />} />
        <Route
          path="users"
          element={
            <RequireSession minRole="admin">
              <UsersPage />
            </RequireSession>
          }
        />
        <Route
          path="api-keys"
          element={
            <RequireSession minRole="admin">
              <ApiKeysPage />
            </RequireSession>
          }
        />
        <Route
          path="*"
          element={
            <section>
              <h1>Page not found</h1>
            </section>
          }
        />
      </Route>
    </Routes>
  );
}
