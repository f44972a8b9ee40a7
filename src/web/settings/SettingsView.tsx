// The admin's Settings page: every configuration key, grouped as in the file, with its
// description, default and whether a change applies at once or after a restart. Saving first
// asks the Manager for a dry run and shows the changes (old → new) to confirm; the Manager's
// validation errors are shown at the field they name. Keys saved but not yet in effect are
// marked "needs restart" until the Manager restarts.
/** @jsxImportSource preact */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiRequestError } from "../api";
import { useCan } from "../auth/Permitted";
import { deniedReason } from "../auth/permissions";
import { useApp } from "../ui/context";
import { Form } from "../ui/widgets";
import { WebhooksSection } from "./webhooks/WebhooksSection";
import {
  FieldError,
  fieldValue,
  parseField,
  shownValue,
  valueAt,
  withValue,
  type FieldValue,
} from "./setting-values";
import {
  settingsApi,
  type ConfigJson,
  type SettingInfo,
  type Settings,
  type SettingsSaved,
} from "./settings-api";

/** Edited in the Webhooks section (./webhooks), which shows the list as a table and form. */
const WEBHOOKS_SETTING = "webhooks";

/** The label the Manager puts before every validation message of a settings save. */
const SERVER_LABEL = "settings: ";

type Fields = Record<string, FieldValue>;
interface Problems {
  /** Messages not about one key. */
  general: string[];
  byPath: Record<string, string>;
}
const NO_PROBLEMS: Problems = { general: [], byPath: {} };

function initialFields(settings: Settings): Fields {
  return Object.fromEntries(
    settings.settings.map((s) => [s.path, fieldValue(s, valueAt(settings.file, s.path))]),
  );
}

/** Puts each line of the Manager's message at the key it names (the longest matching path). */
function serverProblems(message: string, settings: SettingInfo[]): Problems {
  const problems: Problems = { general: [], byPath: {} };
  const byLength = [...settings].sort((a, b) => b.path.length - a.path.length);
  for (const line of message.split("\n")) {
    const rest = line.startsWith(SERVER_LABEL) ? line.slice(SERVER_LABEL.length) : line;
    const setting = byLength.find((s) => rest.startsWith(s.path) && /^[.:[]/.test(rest.slice(s.path.length)));
    if (!setting) problems.general.push(line);
    else problems.byPath[setting.path] = [problems.byPath[setting.path], rest].filter(Boolean).join("\n");
  }
  return problems;
}

function Badges({ setting, pending }: { setting: SettingInfo; pending: boolean }) {
  return (
    <>
      {pending && (
        <span
          class="badge badge-pending"
          title="Saved; the running Manager uses the new value after a restart"
        >
          needs restart
        </span>
      )}
      {!pending && setting.applies === "restart" && (
        <span class="badge badge-restart" title="A saved change takes effect when the Manager restarts">
          applies after restart
        </span>
      )}
      {setting.applies === "unused" && (
        <span class="badge" title="Accepted for Flamenco's sake; it changes nothing">
          no effect
        </span>
      )}
    </>
  );
}

function SettingInput({
  setting,
  value,
  onValue,
}: {
  setting: SettingInfo;
  value: FieldValue;
  onValue: (value: FieldValue) => void;
}) {
  const id = `setting-${setting.path}`;
  switch (setting.kind) {
    case "fixed":
      return (
        <code id={id} class="mono">
          {String(value)}
        </code>
      );
    case "boolean":
      return (
        <input
          id={id}
          type="checkbox"
          aria-label={setting.path}
          checked={value === true}
          onChange={(e) => onValue(e.currentTarget.checked)}
        />
      );
    case "json":
      return (
        <textarea
          id={id}
          class="mono"
          aria-label={setting.path}
          rows={Math.min(12, String(value).split("\n").length + 1)}
          value={String(value)}
          onInput={(e) => onValue(e.currentTarget.value)}
        />
      );
    case "secret":
      return (
        <input
          id={id}
          type="password"
          aria-label={setting.path}
          value={String(value)}
          onInput={(e) => onValue(e.currentTarget.value)}
        />
      );
    default:
      return (
        <input
          id={id}
          type="text"
          inputMode={setting.kind === "number" ? "numeric" : undefined}
          aria-label={setting.path}
          placeholder={setting.kind === "duration" ? "e.g. 10m, 1h30m, 30s" : undefined}
          value={String(value)}
          onInput={(e) => onValue(e.currentTarget.value)}
        />
      );
  }
}

function SettingRow(props: {
  setting: SettingInfo;
  value: FieldValue;
  changed: boolean;
  pending: boolean;
  problem: string | undefined;
  onValue: (value: FieldValue) => void;
}) {
  const { setting, problem } = props;
  return (
    <div class={`setting${props.changed ? " setting-changed" : ""}`} data-path={setting.path}>
      <label class="setting-name mono" for={`setting-${setting.path}`}>
        {setting.path}
      </label>
      <div class="setting-input">
        <SettingInput setting={setting} value={props.value} onValue={props.onValue} />
        <Badges setting={setting} pending={props.pending} />
      </div>
      <p class="setting-description hint">
        {setting.description}
        {setting.default !== undefined && setting.kind !== "json" && (
          <>
            {" "}
            Default: <code>{shownValue(setting.default)}</code>.
          </>
        )}
      </p>
      {problem && (
        <p class="setting-error error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}

function ChangesReview({
  answer,
  onConfirm,
  onCancel,
}: {
  answer: SettingsSaved;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const shown = useRef<HTMLElement>(null);
  useEffect(() => shown.current?.scrollIntoView({ block: "nearest" }), []);
  return (
    <section ref={shown} class="settings-review" aria-label="Changes to save">
      <h3>Save these changes?</h3>
      <table class="table">
        <thead>
          <tr>
            <th>Key</th>
            <th>Now</th>
            <th />
            <th>New</th>
            <th>Takes effect</th>
          </tr>
        </thead>
        <tbody>
          {answer.changes.map((c) => (
            <tr key={c.path} data-path={c.path}>
              <td class="mono">{c.path}</td>
              <td class="mono diff-old">{shownValue(c.old)}</td>
              <td>→</td>
              <td class="mono diff-new">{shownValue(c.new)}</td>
              <td>
                {c.applies === "restart" ? "after a restart" : c.applies === "live" ? "at once" : "never"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {answer.warnings.map((w) => (
        <p key={w} class="hint">
          {w}
        </p>
      ))}
      <div class="setup-buttons">
        <button type="button" class="primary" onClick={onConfirm}>
          Save
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}

function savedNotice(answer: SettingsSaved): string {
  const live = answer.changes.filter((c) => c.applies === "live").length;
  const restart = answer.changes.filter((c) => c.applies === "restart").map((c) => c.path);
  const parts = [`Saved ${answer.changes.length} change(s)`];
  if (live > 0) parts.push(`${live} in effect now`);
  if (restart.length > 0) parts.push(`${restart.join(", ")} after a restart`);
  return `${parts.join("; ")}.`;
}

function SettingsEditor() {
  const { attempt } = useApp().state;
  const [loaded, setLoaded] = useState<Settings | null>(null);
  const [fields, setFields] = useState<Fields>({});
  const [problems, setProblems] = useState<Problems>(NO_PROBLEMS);
  const [review, setReview] = useState<{ file: ConfigJson; answer: SettingsSaved } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = () =>
    attempt("load the settings", async () => {
      const settings = await settingsApi.load();
      setLoaded(settings);
      setFields(initialFields(settings));
    });
  useEffect(() => void load(), []);
  if (!loaded) return <p class="hint empty">Loading…</p>;

  const initial = initialFields(loaded);
  const isChanged = (path: string) => fields[path] !== initial[path];

  /** The loaded file with the edited fields put in, or null after marking the fields that cannot be read. */
  function editedFile(): ConfigJson | null {
    let file = loaded!.file;
    const byPath: Record<string, string> = {};
    for (const setting of loaded!.settings) {
      if (!isChanged(setting.path)) continue;
      try {
        file = withValue(file, setting.path, parseField(setting, fields[setting.path]!));
      } catch (err) {
        if (!(err instanceof FieldError)) throw err;
        byPath[setting.path] = err.message;
      }
    }
    setProblems({ general: [], byPath });
    return Object.keys(byPath).length > 0 ? null : file;
  }

  /** Runs a save (or dry run); a refusal is shown at the fields it names. */
  async function send(file: ConfigJson, dryRun: boolean): Promise<SettingsSaved | null> {
    setBusy(true);
    try {
      return await settingsApi.save(file, dryRun);
    } catch (err) {
      if (!(err instanceof ApiRequestError) || err.status !== 400) throw err;
      setProblems(serverProblems(err.message, loaded!.settings));
      return null;
    } finally {
      setBusy(false);
    }
  }

  const reviewChanges = () =>
    attempt("check the settings", async () => {
      setNotice(null);
      const file = editedFile();
      if (!file) return;
      const answer = await send(file, true);
      if (!answer) return;
      if (answer.changes.length === 0) setNotice("Nothing to save: every value is as saved.");
      else setReview({ file, answer });
    });

  const confirm = () =>
    attempt("save the settings", async () => {
      if (!review) return;
      const answer = await send(review.file, false);
      setReview(null);
      if (!answer) return;
      setNotice(savedNotice(answer));
      await load();
    });

  const pending = new Set(loaded.restart_pending);
  return (
    <Form
      class="settings-form"
      aria-label="Settings"
      canSubmit={!busy && review === null}
      onSubmit={() => void reviewChanges()}
    >
      {problems.general.length > 0 && (
        <div class="settings-problems error" role="alert">
          {problems.general.map((p) => (
            <p key={p}>{p}</p>
          ))}
        </div>
      )}
      {groups(loaded.settings.filter((s) => s.path !== WEBHOOKS_SETTING)).map(([group, settings]) => (
        <fieldset key={group} class="settings-group">
          <legend>{group}</legend>
          {settings.map((s) => (
            <SettingRow
              key={s.path}
              setting={s}
              value={fields[s.path] ?? ""}
              changed={isChanged(s.path)}
              pending={pending.has(s.path)}
              problem={problems.byPath[s.path]}
              onValue={(v) => {
                setReview(null);
                setFields({ ...fields, [s.path]: v });
              }}
            />
          ))}
        </fieldset>
      ))}
      <div class="settings-actions">
        {review ? (
          <ChangesReview
            answer={review.answer}
            onConfirm={() => void confirm()}
            onCancel={() => setReview(null)}
          />
        ) : (
          <div class="setup-buttons">
            <button type="submit" class="primary" disabled={busy}>
              Review changes
            </button>
            <button
              type="button"
              onClick={() => {
                setFields(initial);
                setProblems(NO_PROBLEMS);
                setNotice(null);
              }}
            >
              Undo edits
            </button>
          </div>
        )}
        {notice && (
          <p class="settings-notice" role="status">
            {notice}
          </p>
        )}
      </div>
    </Form>
  );
}

/** The settings by group, in the catalog's order. */
function groups(settings: SettingInfo[]): [string, SettingInfo[]][] {
  const byGroup = new Map<string, SettingInfo[]>();
  for (const s of settings) byGroup.set(s.group, [...(byGroup.get(s.group) ?? []), s]);
  return [...byGroup];
}

export function SettingsView() {
  const allowed = useCan("changeSettings");
  const [generation, setGeneration] = useState(0);
  return (
    <section class="pane settings-view">
      <h2>Settings</h2>
      <p class="hint">
        The Manager's configuration file (flamenco-manager.yaml). Saving changes only the edited values in the
        file; its comments and key order stay.
      </p>
      {allowed ? (
        <SettingsEditor key={generation} />
      ) : (
        <p class="hint empty">{deniedReason("changeSettings")}.</p>
      )}
      {/* A save there changes the file: the editor above reloads it, so it never saves a stale list. */}
      {allowed && <WebhooksSection onSaved={() => setGeneration((g) => g + 1)} />}
    </section>
  );
}
