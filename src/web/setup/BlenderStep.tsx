// The Blender step: the Blender the Manager found by itself, or another command or path the
// Manager checks as it is typed. One command is saved for every platform; a mixed farm sets
// its per-platform values afterwards in the Settings (the `blender` variable).
/** @jsxImportSource preact */
import { Link } from "../ui/widgets";
import type { LiveCheck } from "./live-check";
import type { BlenderCheck } from "./setup-api";
import { Verdict } from "./Verdict";

export type BlenderSelection = { kind: "found"; index: number } | { kind: "custom" } | null;

export type FoundBlenders =
  { kind: "searching" } | { kind: "found"; list: BlenderCheck[] } | { kind: "failed"; message: string };

const SOURCE_LABELS: Record<BlenderCheck["source"], string> = {
  path_envvar: "Blender found on the Manager's PATH",
  file_association: "The Blender that opens .blend files on the Manager's machine",
  system_location: "Blender installed in the standard location",
  input_path: "The Blender you typed",
  default: "The plain command blender",
};

export function BlenderStep({
  found,
  selection,
  onSelect,
  custom,
  onCustom,
  customCheck,
}: {
  found: FoundBlenders;
  selection: BlenderSelection;
  onSelect: (s: BlenderSelection) => void;
  custom: string;
  onCustom: (value: string) => void;
  customCheck: LiveCheck<BlenderCheck>;
}) {
  const list = found.kind === "found" ? found.list : [];
  return (
    <>
      <p>
        Choose how the workers start Blender. The Manager checks each choice by running it with{" "}
        <code>--version</code> on its own machine, so pick a Blender the workers have at the same place.
      </p>
      {found.kind === "searching" && (
        <p class="hint" role="status">
          Looking for Blender on the Manager's machine…
        </p>
      )}
      {found.kind === "failed" && (
        <p class="check-failed" role="alert">
          Looking for Blender failed: {found.message}
        </p>
      )}
      {found.kind === "found" && list.length === 0 && (
        <p class="hint" role="status">
          The Manager found no Blender by itself: give the path of the Blender executable.
        </p>
      )}
      <fieldset class="setup-choices">
        <legend>Blender for the workers</legend>
        {list.map((b, index) => (
          <label key={`${b.source}:${b.path}`} class="setup-choice">
            <input
              type="radio"
              name="blender"
              checked={selection?.kind === "found" && selection.index === index}
              onChange={() => onSelect({ kind: "found", index })}
            />
            <span>
              {SOURCE_LABELS[b.source]}: <code>{b.path}</code> <span class="hint">({b.cause})</span>
            </span>
          </label>
        ))}
        <label class="setup-choice">
          <input
            type="radio"
            name="blender"
            checked={selection?.kind === "custom"}
            onChange={() => onSelect({ kind: "custom" })}
          />
          <span>Another Blender (a command on the PATH, or the executable's full path):</span>
        </label>
        <input
          type="text"
          class="setup-custom-blender"
          name="blender-path"
          aria-label="Blender command or path"
          aria-describedby="blender-verdict"
          aria-invalid={customCheck.kind === "done" && !customCheck.result.is_usable}
          autocomplete="off"
          spellcheck={false}
          placeholder="/opt/blender/blender"
          value={custom}
          onFocus={() => onSelect({ kind: "custom" })}
          onInput={(e) => onCustom(e.currentTarget.value)}
        />
        <Verdict id="blender-verdict" check={customCheck} />
      </fieldset>
      <p class="hint">
        The command is saved for Linux, Windows and macOS workers alike. A farm with more than one platform
        sets each platform's value afterwards in the <Link to={{ view: "settings" }}>Settings</Link> (the{" "}
        <code>blender</code> variable).
      </p>
    </>
  );
}

/** What the review says will be saved as the workers' `{blender}`. */
export function describeBlender(b: BlenderCheck): string {
  switch (b.source) {
    case "path_envvar":
      return `The command "${b.input}", as found on the PATH (now ${b.path})`;
    case "file_association":
      return `Whatever Blender opens .blend files (now ${b.path}), saved as the command "blender"`;
    case "default":
      return `The command "blender"`;
    case "input_path":
    case "system_location":
      return b.path;
  }
}
