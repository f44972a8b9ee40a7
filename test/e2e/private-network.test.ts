// Flamenco's clients on a studio network, with the default access settings: a worker and a
// submitter calling from a private address (a network namespace behind a veth pair) need no
// token and run a job to the end, while the same address is refused the admin operations.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { z } from "zod";
import {
  killChildren,
  managerApi,
  startManager,
  startWorker,
  type ManagerProcess,
} from "../support/processes";
import { createNamespace, linkNamespaces, requireNetworkNamespaces, type Namespace } from "../support/netns";
import { tempDirs } from "../support/temp-dirs";
import { waitFor } from "../support/wait";

afterAll(killChildren);
const tempDir = tempDirs("tablao-private-net");

/** A private (RFC 1918) /30: the Manager's side and the studio machine's side. */
const HOST_ADDRESS = "10.231.77.1";
const STUDIO_ADDRESS = "10.231.77.2";

let studio: Namespace | undefined;
let manager: ManagerProcess;
let managerUrl: string;

/** Runs `script` with Bun inside the namespace: a client on the studio network. */
function fromStudio(script: string): Promise<string> {
  if (!studio) throw new Error("the studio namespace was not made");
  return studio.run(script);
}

beforeAll(async () => {
  requireNetworkNamespaces("the private-network test");
  const id = process.pid % 100000;
  studio = createNamespace(`tablao-priv-${id}`);
  linkNamespaces(
    { ns: null, ifName: `tph${id}`, cidr: `${HOST_ADDRESS}/30` },
    { ns: studio, ifName: `tpn${id}`, cidr: `${STUDIO_ADDRESS}/30` },
  );
  manager = await startManager(tempDir(), {}, "0.0.0.0");
  managerUrl = `http://${HOST_ADDRESS}:${manager.port}`;
});

// Deleting the namespace removes its end of the pair, and with it the host's end.
afterAll(() => studio?.delete());

const Status = z.object({ status: z.number(), body: z.string() });

describe("default access from a private network", () => {
  test("a worker and a submitter without tokens run a job; admin operations stay closed", async () => {
    const worker = startWorker(managerUrl, { name: "studio-node", home: tempDir(), netns: studio?.name });

    const submitted = Status.parse(
      JSON.parse(
        await fromStudio(`
          const res = await fetch(${JSON.stringify(`${managerUrl}/api/v3/jobs`)}, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({
              name: "from the studio", type: "echo-sleep-test", priority: 50, submitter_platform: "linux",
              settings: { message: "hello from 10.231.77.2", sleep_duration_seconds: 1, sleep_repeats: 1 },
            }),
          });
          console.log(JSON.stringify({ status: res.status, body: await res.text() }));`),
      ),
    );
    expect(submitted.status).toBe(200);
    const jobId = z.object({ id: z.string() }).parse(JSON.parse(submitted.body)).id;

    const api = managerApi(manager.url);
    await waitFor(
      "the job to complete",
      async () =>
        z.object({ status: z.string() }).parse(await api.get(`/api/v3/jobs/${jobId}`)).status === "completed",
      30_000,
    );
    const tasks = z
      .object({ tasks: z.array(z.object({ worker: z.object({ name: z.string() }).optional() })) })
      .parse(await api.get(`/api/v3/jobs/${jobId}/tasks`)).tasks;
    expect(tasks.map((t) => t.worker?.name)).toEqual(["studio-node", "studio-node"]);
    expect(worker.workerId()).not.toBeNull();

    // The same address is an operator, not an admin: configuration and path checks are refused.
    const refused = Status.parse(
      JSON.parse(
        await fromStudio(`
          const res = await fetch(${JSON.stringify(`${managerUrl}/api/v3/configuration/check/blender`)}, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ path: "/bin/sh" }),
          });
          console.log(JSON.stringify({ status: res.status, body: await res.text() }));`),
      ),
    );
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("admin");
  }, 60_000);
});
