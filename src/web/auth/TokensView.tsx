// The admin's Tokens page: the API tokens that exist (never their secrets), a form that makes
// one and shows its secret this once, and revocation with a confirming second click.
/** @jsxImportSource preact */
import { useEffect, useState } from "preact/hooks";
import { fullTime } from "../format";
import { useApp } from "../ui/context";
import { ConfirmButton, Form, TextInput, TimeAgo } from "../ui/widgets";
import { authApi, type ApiToken, type CreatedToken, type Role } from "./auth-api";
import { useCan } from "./Permitted";
import { deniedReason, ROLE_NAMES } from "./permissions";

const DAY_MS = 24 * 60 * 60 * 1000;
const EXPIRY_CHOICES: { label: string; days: number | null }[] = [
  { label: "never", days: null },
  { label: "1 day", days: 1 },
  { label: "7 days", days: 7 },
  { label: "30 days", days: 30 },
  { label: "90 days", days: 90 },
  { label: "1 year", days: 365 },
];

/** Copies from the field itself when the Clipboard API is missing (plain http off localhost). */
async function copyField(input: HTMLInputElement): Promise<boolean> {
  if (navigator.clipboard) {
    await navigator.clipboard.writeText(input.value);
    return true;
  }
  input.select();
  return document.execCommand("copy");
}

function NewTokenForm({ onCreated }: { onCreated: (token: CreatedToken) => void }) {
  const { attempt } = useApp().state;
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [days, setDays] = useState<number | null>(null);
  const create = () =>
    attempt("create the token", async () => {
      const expires_at = days === null ? undefined : new Date(Date.now() + days * DAY_MS).toISOString();
      onCreated(await authApi.createToken({ name: name.trim(), role, expires_at }));
      setName("");
    });
  return (
    <Form
      class="inline-form new-token-form"
      aria-label="New token"
      canSubmit={name.trim() !== ""}
      onSubmit={() => void create()}
    >
      <TextInput
        placeholder="Name, e.g. render-bot or ana"
        label="Token name"
        value={name}
        onValue={setName}
      />
      <label>
        Role{" "}
        <select value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          {ROLE_NAMES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <label>
        Expires{" "}
        <select
          value={String(days)}
          onChange={(e) => setDays(e.currentTarget.value === "null" ? null : Number(e.currentTarget.value))}
        >
          {EXPIRY_CHOICES.map((c) => (
            <option key={c.label} value={String(c.days)}>
              {c.days === null ? c.label : `in ${c.label}`}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={!name.trim()}>
        Create token
      </button>
    </Form>
  );
}

function CreatedTokenNotice({ created, onDone }: { created: CreatedToken; onDone: () => void }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  return (
    <section class="new-token" aria-label="New token secret">
      <p>
        <strong>
          Token “{created.name}” ({created.role}) created.
        </strong>{" "}
        Copy it now: it is shown only this once, and the Manager cannot show it again. Anyone holding it acts
        as {created.role}.
      </p>
      <div class="inline-form">
        <input
          type="text"
          readonly
          class="mono token-secret"
          aria-label="Token secret"
          value={created.token}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button
          type="button"
          onClick={(e) => {
            const field = e.currentTarget.parentElement?.querySelector("input");
            if (field) copyField(field).then(setCopied, () => setCopied(false));
          }}
        >
          Copy
        </button>
        {copied === true && <span class="hint">Copied.</span>}
        {copied === false && <span class="error">Could not copy: select the text and copy it.</span>}
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </section>
  );
}

function TokenRow({ token, onRevoked }: { token: ApiToken; onRevoked: () => void }) {
  const { attempt } = useApp().state;
  const revoke = async () => {
    if (await attempt(`revoke token ${token.name}`, () => authApi.revokeToken(token.id))) onRevoked();
  };
  return (
    <tr data-token-id={token.id}>
      <td class="col-name">{token.name}</td>
      <td>
        <span class={`role role-${token.role}`}>{token.role}</span>
      </td>
      <td>
        <TimeAgo iso={token.created_at} />
      </td>
      <td>{token.last_used_at ? <TimeAgo iso={token.last_used_at} /> : <span class="hint">never</span>}</td>
      <td>
        {token.expires_at ? (
          <time dateTime={token.expires_at} title={fullTime(token.expires_at)}>
            {new Date(token.expires_at).toLocaleDateString()}
          </time>
        ) : (
          <span class="hint">never</span>
        )}
      </td>
      <td class="actions">
        <ConfirmButton label="Revoke" confirmLabel="Really revoke?" onConfirm={() => void revoke()} />
      </td>
    </tr>
  );
}

function TokenList() {
  const { attempt } = useApp().state;
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const load = () => attempt("load the tokens", async () => setTokens(await authApi.tokens()));
  useEffect(() => void load(), []);
  return (
    <>
      <NewTokenForm
        onCreated={(token) => {
          setCreated(token);
          void load();
        }}
      />
      {created && <CreatedTokenNotice created={created} onDone={() => setCreated(null)} />}
      <table class="table" aria-label="Tokens">
        <thead>
          <tr>
            <th>Name</th>
            <th>Role</th>
            <th>Created</th>
            <th>Last used</th>
            <th>Expires</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(tokens ?? []).map((t) => (
            <TokenRow key={t.id} token={t} onRevoked={() => void load()} />
          ))}
        </tbody>
      </table>
      {tokens?.length === 0 && <p class="hint empty">No tokens yet.</p>}
    </>
  );
}

export function TokensView() {
  const allowed = useCan("manageTokens");
  return (
    <section class="pane tokens-view">
      <h2>API tokens</h2>
      <p class="hint">
        A token lets a person sign in to this dashboard, or a script call the API (header{" "}
        <code>Authorization: Bearer TOKEN</code>), with the token's role.
      </p>
      {allowed ? <TokenList /> : <p class="hint empty">{deniedReason("manageTokens")}.</p>}
    </section>
  );
}
