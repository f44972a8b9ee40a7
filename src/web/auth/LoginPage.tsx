// Shown instead of the app when the Manager grants this browser no role: sign in with an API
// token, which the Manager exchanges for a session cookie.
/** @jsxImportSource preact */
import { useState } from "preact/hooks";
import { Form } from "../ui/widgets";
import type { Auth } from "./session";

export function LoginPage({ auth, notice }: { auth: Auth; notice?: string }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    setError(null);
    // On success this page goes away; on failure the token stays, to be corrected.
    const problem = await auth.signIn(token.trim());
    setBusy(false);
    setError(problem);
  };
  return (
    <main class="login">
      <Form
        class="login-form"
        aria-label="Sign in"
        canSubmit={token.trim() !== "" && !busy}
        onSubmit={() => void submit()}
      >
        <h1>Tablao</h1>
        {notice && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        <label>
          API token
          <input
            type="password"
            name="token"
            autocomplete="off"
            spellcheck={false}
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={!token.trim() || busy}>
          Sign in
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <p class="hint">
          An admin gives out tokens on the Tokens page, or on the Manager's machine with{" "}
          <code>npm run server -- token create --name NAME --role ROLE</code>.
        </p>
      </Form>
    </main>
  );
}
