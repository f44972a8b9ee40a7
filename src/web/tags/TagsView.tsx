// Worker tags: create, rename, describe and delete them (read-only for roles that may not).
/** @jsxImportSource preact */
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { useCan } from "../auth/Permitted";
import { deniedReason } from "../auth/permissions";
import { useStore } from "../store";
import type { WorkerTag } from "../types";
import { useApp } from "../ui/context";
import { ConfirmButton, Form, TextInput } from "../ui/widgets";

function TagRow({ tag }: { tag: WorkerTag }) {
  const { attempt } = useApp().state;
  const canChange = useCan("changeTags");
  const denied = canChange ? undefined : deniedReason("changeTags");
  const [name, setName] = useState(tag.name);
  const [description, setDescription] = useState(tag.description ?? "");
  useEffect(() => setName(tag.name), [tag.name]);
  useEffect(() => setDescription(tag.description ?? ""), [tag.description]);
  const id = tag.id ?? "";
  const changed = name !== tag.name || description !== (tag.description ?? "");
  return (
    <tr data-tag-id={id}>
      <td>
        <TextInput
          label={`Name of tag ${tag.name}`}
          disabled={!canChange}
          title={denied}
          value={name}
          onValue={setName}
        />
      </td>
      <td>
        <TextInput
          label={`Description of tag ${tag.name}`}
          disabled={!canChange}
          title={denied}
          value={description}
          onValue={setDescription}
        />
      </td>
      <td class="actions">
        {canChange && (
          <>
            <button
              type="button"
              disabled={!changed || !name.trim()}
              onClick={() =>
                void attempt(`update tag ${tag.name}`, () =>
                  api.updateTag(id, { name: name.trim(), description }),
                )
              }
            >
              Save
            </button>
            <ConfirmButton
              label="Delete"
              confirmLabel="Really delete?"
              onConfirm={() => void attempt(`delete tag ${tag.name}`, () => api.deleteTag(id))}
            />
          </>
        )}
      </td>
    </tr>
  );
}

function NewTagForm() {
  const { state } = useApp();
  const tags = useStore(state.tags);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const trimmed = name.trim();
  const taken = tags.some((t) => t.name === trimmed);
  const canCreate = trimmed !== "" && !taken;
  const create = async () => {
    if (await state.attempt("create the tag", () => api.createTag({ name: trimmed, description }))) {
      setName("");
      setDescription("");
    }
  };
  return (
    <Form
      class="inline-form new-tag"
      aria-label="New tag"
      canSubmit={canCreate}
      onSubmit={() => void create()}
    >
      <TextInput placeholder="New tag name" label="New tag name" value={name} onValue={setName} />
      <TextInput
        placeholder="Description"
        label="New tag description"
        value={description}
        onValue={setDescription}
      />
      <button type="submit" disabled={!canCreate}>
        Create tag
      </button>
      {taken && <span class="error">A tag with this name exists.</span>}
    </Form>
  );
}

export function TagsView() {
  const tags = useStore(useApp().state.tags);
  const canChange = useCan("changeTags");
  return (
    <section class="pane tags-view">
      <h2>Worker tags</h2>
      <p class="hint">
        Jobs with a tag only run on workers that have it; workers without tags only run untagged jobs.
      </p>
      {canChange && <NewTagForm />}
      <table class="table" aria-label="Tags">
        <thead>
          <tr>
            <th>Name</th>
            <th>Description</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {tags.map((t) => (
            <TagRow key={t.id} tag={t} />
          ))}
        </tbody>
      </table>
      {tags.length === 0 && <p class="hint empty">No tags yet.</p>}
    </section>
  );
}
