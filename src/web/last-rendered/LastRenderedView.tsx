// The farm-wide last-rendered image, replaced live as workers render new frames.
/** @jsxImportSource preact */
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { useStore } from "../store";
import type { LastRenderedInfo } from "../types";
import { useApp } from "../ui/context";
import { Link } from "../ui/widgets";
import { LastRenderedImage } from "./LastRenderedImage";

export function LastRenderedView() {
  const { state } = useApp();
  const jobs = useStore(state.jobs);
  const [shown, setShown] = useState<{ jobId: string; info: LastRenderedInfo; version: number } | null>(null);
  useEffect(() => {
    const load = () =>
      state.attempt("load the last-rendered image", async () => {
        const info = await api.farmLastRendered();
        // The farm-wide answer does not name the job; its base URL ends with the job's UUID.
        setShown((s) =>
          info ? { jobId: info.base.split("/").pop() ?? "", info, version: (s?.version ?? 0) + 1 } : null,
        );
      });
    const cleanups = [
      state.live.subscribe("allLastRendered"),
      state.live.on("/last-rendered", (u) =>
        setShown((s) => ({ jobId: u.job_id, info: u.thumbnail, version: (s?.version ?? 0) + 1 })),
      ),
      state.resyncs.subscribe(() => void load()),
    ];
    void load();
    return () => cleanups.forEach((c) => c());
  }, []);
  const job = shown ? jobs.get(shown.jobId) : undefined;
  return (
    <section class="pane last-rendered-view">
      <h2>Last rendered</h2>
      {shown ? (
        <>
          <p>
            From job <Link to={{ view: "jobs", jobId: shown.jobId }}>{job?.name ?? shown.jobId}</Link>
          </p>
          <LastRenderedImage info={shown.info} version={shown.version} size="large" />
        </>
      ) : (
        <p class="hint">Nothing has been rendered yet.</p>
      )}
    </section>
  );
}
