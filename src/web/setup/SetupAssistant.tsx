// The first-run setup assistant (/app/setup): welcome, shared storage, Blender, review, done.
// Each path is checked by the Manager as it is typed; saving writes flamenco-manager.yaml and
// the Manager applies it at once, so the dashboard leaves first-run mode without a restart.
// An admin may run it again later: it then replaces only shared storage and Blender.
/** @jsxImportSource preact */
import { useEffect, useRef, useState } from "preact/hooks";
import { useCan } from "../auth/Permitted";
import { useStore } from "../store";
import { useApp } from "../ui/context";
import { Field, Form } from "../ui/widgets";
import { BlenderStep, describeBlender, type BlenderSelection, type FoundBlenders } from "./BlenderStep";
import { DoneStep } from "./DoneStep";
import { useLiveCheck } from "./live-check";
import { setupApi, type BlenderCheck } from "./setup-api";
import { StorageStep } from "./StorageStep";

const STEPS = ["Welcome", "Shared storage", "Blender", "Review", "Done"] as const;
const REVIEW = STEPS.indexOf("Review");
const DONE = STEPS.indexOf("Done");

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

function Welcome({ reconfiguring }: { reconfiguring: boolean }) {
  return (
    <>
      {reconfiguring && (
        <p class="notice" role="status">
          This Manager is already configured. Running the assistant again replaces its shared storage path and
          Blender command; its other settings are kept.
        </p>
      )}
      <p>A few questions, and this Manager is ready to take jobs. The farm has four parts:</p>
      <ul>
        <li>
          <strong>The Manager</strong>: this server. It splits jobs into tasks and hands them out.
        </li>
        <li>
          <strong>Workers</strong>: the machines that run the tasks, Blender renders among them.
        </li>
        <li>
          <strong>Shared storage</strong>: a folder the Manager and all workers reach, holding the files to
          render and the results.
        </li>
        <li>
          <strong>The Flamenco add-on for Blender</strong>: submits jobs from Blender to the Manager.
        </li>
      </ul>
      <p class="hint">Nothing is saved before the review step.</p>
    </>
  );
}

function Review({
  storage,
  blender,
  error,
}: {
  storage: string;
  blender: BlenderCheck;
  error: string | null;
}) {
  return (
    <>
      <p>This is what will be saved in the Manager's configuration file:</p>
      <dl class="setup-review">
        <Field label="Shared storage">
          <code>{storage}</code>
        </Field>
        <Field label="Blender for the workers">{describeBlender(blender)}</Field>
      </dl>
      <p class="hint">The Manager applies it at once; no restart is needed.</p>
      {error && (
        <p class="check-failed" role="alert">
          Could not save the configuration: {error}
        </p>
      )}
    </>
  );
}

function Progress({ step }: { step: number }) {
  return (
    <ol class="setup-progress" aria-label="Setup steps">
      {STEPS.map((name, i) => (
        <li
          key={name}
          class={i === step ? "current" : i < step ? "done" : ""}
          aria-current={i === step ? "step" : undefined}
        >
          {name}
        </li>
      ))}
    </ol>
  );
}

function Assistant() {
  const { state } = useApp();
  const configuration = useStore(state.configuration);
  const [step, setStep] = useState(0);

  const [storage, setStorage] = useState("");
  const storageCheck = useLiveCheck(storage, setupApi.checkSharedStorage);

  const [found, setFound] = useState<FoundBlenders>({ kind: "searching" });
  const [selection, setSelection] = useState<BlenderSelection>(null);
  const [custom, setCustom] = useState("");
  const customCheck = useLiveCheck(custom, setupApi.checkBlender);
  useEffect(() => {
    setupApi.findBlender().then(
      (list) => {
        setFound({ kind: "found", list });
        setSelection((s) => s ?? (list.length > 0 ? { kind: "found", index: 0 } : { kind: "custom" }));
      },
      (err: unknown) => {
        setFound({ kind: "failed", message: errorText(err) });
        setSelection((s) => s ?? { kind: "custom" });
      },
    );
  }, []);

  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);

  // Each step announces itself to screen readers and keyboard users by taking the focus.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [step]);

  const storageOk = storageCheck.kind === "done" && storageCheck.result.is_usable;
  const blender: BlenderCheck | null =
    selection?.kind === "found"
      ? found.kind === "found"
        ? (found.list[selection.index] ?? null)
        : null
      : selection?.kind === "custom" && customCheck.kind === "done" && customCheck.result.is_usable
        ? customCheck.result
        : null;

  const save = async () => {
    if (storageCheck.kind !== "done" || !blender) return;
    setSaving(true);
    setSaveError(null);
    try {
      await setupApi.save({ storageLocation: storageCheck.input, blenderExecutable: blender });
      await state.refreshConfiguration();
      setStep(DONE);
    } catch (err) {
      setSaveError(errorText(err));
    } finally {
      setSaving(false);
    }
  };

  const canGoOn =
    [true, storageOk, blender !== null, storageOk && blender !== null && !saving][step] ?? false;
  const next = () => (step === REVIEW ? void save() : setStep(step + 1));

  return (
    <section class="setup" aria-labelledby="setup-title">
      <h2 id="setup-title">Setup assistant</h2>
      <Progress step={step} />
      <Form class="setup-step" aria-label={STEPS[step]!} canSubmit={canGoOn && step < DONE} onSubmit={next}>
        <h3 ref={heading} tabIndex={-1} class="setup-step-title">
          {STEPS[step]}
        </h3>
        {step === 0 && <Welcome reconfiguring={configuration?.isFirstRun === false} />}
        {step === 1 && <StorageStep path={storage} onPath={setStorage} check={storageCheck} />}
        {step === 2 && (
          <BlenderStep
            found={found}
            selection={selection}
            onSelect={setSelection}
            custom={custom}
            onCustom={setCustom}
            customCheck={customCheck}
          />
        )}
        {step === REVIEW && storageCheck.kind === "done" && blender && (
          <Review storage={storageCheck.input} blender={blender} error={saveError} />
        )}
        {step === DONE && <DoneStep />}
        {step < DONE && (
          <div class="setup-buttons">
            {step > 0 && (
              <button type="button" disabled={saving} onClick={() => setStep(step - 1)}>
                Back
              </button>
            )}
            <button type="submit" class="setup-primary" disabled={!canGoOn}>
              {step === 0 ? "Start" : step === REVIEW ? (saving ? "Saving…" : "Save configuration") : "Next"}
            </button>
          </div>
        )}
      </Form>
    </section>
  );
}

export function SetupAssistant() {
  if (!useCan("changeSettings")) {
    return (
      <section class="setup" aria-labelledby="setup-title">
        <h2 id="setup-title">Setup assistant</h2>
        <p role="status">Only an admin can configure the Manager; please ask one to run this assistant.</p>
      </section>
    );
  }
  return <Assistant />;
}
