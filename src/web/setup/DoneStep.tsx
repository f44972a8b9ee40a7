// The last page of the assistant: the configuration is in effect (no restart), the workers the
// Manager knows (kept current by the live connection), and how to get the first job in: the
// Blender add-on, curl, and the API documentation, all with this Manager's address.
/** @jsxImportSource preact */
import { useStore } from "../store";
import { useApp } from "../ui/context";
import { Link } from "../ui/widgets";

/** The README's first curl example, aimed at this Manager. */
function curlExample(managerUrl: string): string {
  return `curl -s -X POST ${managerUrl}/api/v3/jobs -H 'Content-Type: application/json' -d '{
  "name": "hello", "type": "echo-sleep-test", "priority": 50, "submitter_platform": "linux",
  "settings": {"message": "Hello from Tablao", "sleep_duration_seconds": 2, "sleep_repeats": 3}
}'`;
}

function Workers() {
  const workers = [...useStore(useApp().state.workers).values()];
  const versions = [...new Set(workers.map((w) => w.version))].sort();
  return (
    <section aria-labelledby="setup-workers">
      <h3 id="setup-workers">Workers</h3>
      <p class="setup-worker-count" role="status" data-count={workers.length}>
        {workers.length === 1 ? "1 worker" : `${workers.length} workers`} known to this Manager
        {versions.length > 0 && `, running version ${versions.join(", ")}`}.
      </p>
      {workers.length === 0 ? (
        <p class="hint">
          Start a worker on a render node with <code>npm run worker</code>: on the same network it finds this
          Manager by itself (UPnP/SSDP), elsewhere give it the address with{" "}
          <code>npm run worker -- -manager {location.origin}/</code>. A Flamenco Worker finds it the same way,
          or takes that address. Workers show up here as they sign on.
        </p>
      ) : (
        <ul class="setup-workers">
          {workers.map((w) => (
            <li key={w.id}>
              {w.name} — version {w.version}, {w.status}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function DoneStep() {
  const managerUrl = location.origin;
  return (
    <>
      <p class="check-ok" role="status">
        The configuration is saved in <code>flamenco-manager.yaml</code> and already in effect: the next job
        uses the new shared storage and Blender, without restarting the Manager.
      </p>
      <Workers />
      <section aria-labelledby="setup-start">
        <h3 id="setup-start">Get started</h3>
        <h4>Submit from Blender</h4>
        <p>
          In Blender's preferences, under the Flamenco add-on, enter the Manager URL{" "}
          <code class="setup-manager-url">{managerUrl}/</code> and check the connection.
        </p>
        <h4>Submit with curl</h4>
        <pre class="setup-curl mono">{curlExample(managerUrl)}</pre>
        <p class="hint">
          From a machine the Manager does not trust by its address, add{" "}
          <code>-H 'Authorization: Bearer TOKEN'</code> with an API token.
        </p>
        <h4>The API</h4>
        <p>
          <a href="/api/v3/docs">Interactive API documentation</a>
        </p>
      </section>
      <p>
        <Link to={{ view: "jobs" }} class="setup-primary">
          Go to the jobs
        </Link>
      </p>
    </>
  );
}
