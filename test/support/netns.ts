// Network namespaces for tests that need machines on their own networks (multicast discovery,
// calls from a private address): created with `ip netns`, joined by veth pairs, removed after
// the test. They need root; without it a test fails with a message saying so, never skips.
import { join } from "node:path";

export function ip(...args: string[]): void {
  const run = Bun.spawnSync(["ip", ...args], { stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`ip ${args.join(" ")}: ${run.stderr.toString().trim()}`);
}

/** Fails with a clear message where namespaces cannot be made (not root, no `ip`). */
export function requireNetworkNamespaces(what: string): void {
  if (process.getuid?.() !== 0)
    throw new Error(`${what} needs root to create network namespaces (ip netns); run the tests as root`);
  if (!Bun.which("ip")) throw new Error(`${what} needs the ip command (Debian package iproute2)`);
}

export interface Namespace {
  name: string;
  /** Runs `ip ARGS` inside the namespace. */
  ip: (...args: string[]) => void;
  /** Runs `script` with Bun inside the namespace and returns what it printed; throws on a failure. */
  run(script: string): Promise<string>;
  delete(): void;
}

/** A new namespace with its loopback up; `delete()` also removes the veth ends inside it. */
export function createNamespace(name: string): Namespace {
  ip("netns", "add", name);
  const ns: Namespace = {
    name,
    ip: (...args) => ip("netns", "exec", name, "ip", ...args),
    async run(script) {
      const proc = Bun.spawn(["ip", "netns", "exec", name, process.execPath, "-e", script], {
        cwd: join(import.meta.dir, "../.."),
        stdout: "pipe",
        stderr: "pipe",
      });
      const [out, err, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      if (code !== 0) throw new Error(`script in ${name} exited ${code}: ${err}`);
      return out.trim();
    },
    delete: () => void Bun.spawnSync(["ip", "netns", "delete", name]),
  };
  ns.ip("link", "set", "lo", "up");
  return ns;
}

export interface VethEnd {
  /** null: the test's own (host) namespace. */
  ns: Namespace | null;
  ifName: string;
  /** `address/bits`. */
  cidr: string;
}

/** A veth pair between two namespaces, addressed and up. */
export function linkNamespaces(a: VethEnd, b: VethEnd): void {
  ip("link", "add", a.ifName, "type", "veth", "peer", "name", b.ifName);
  for (const end of [a, b]) {
    if (end.ns) ip("link", "set", end.ifName, "netns", end.ns.name);
    const inside = end.ns ? end.ns.ip : (...args: string[]) => ip(...args);
    inside("addr", "add", end.cidr, "dev", end.ifName);
    inside("link", "set", end.ifName, "up");
  }
}

/** A Manager's machine and a render node's, each in its own namespace, for discovery over a LAN. */
export interface StudioNetwork {
  /** The Manager's machine: the test reaches it at `serverTestSide`. */
  server: Namespace;
  /** A render node: it reaches the server at `serverStudioSide`, and has a multicast route only. */
  studio: Namespace;
  serverTestSide: string;
  serverStudioSide: string;
  delete(): void;
}

/**
 * Two namespaces on two /30 networks, `10.231.<subnet>.0` (test ↔ server) and
 * `10.231.<subnet + 1>.0` (server ↔ studio); `tag` (2 letters) keeps names apart between files.
 */
export function createStudioNetwork(tag: string, subnet: number): StudioNetwork {
  const id = process.pid % 100000;
  const server = createNamespace(`tablao-${tag}-srv-${id}`);
  const studio = createNamespace(`tablao-${tag}-std-${id}`);
  const net = (offset: number, host: number) => `10.231.${subnet + offset}.${host}`;
  linkNamespaces(
    { ns: null, ifName: `t${tag}t${id}`, cidr: `${net(0, 1)}/30` },
    { ns: server, ifName: `t${tag}s${id}`, cidr: `${net(0, 2)}/30` },
  );
  linkNamespaces(
    { ns: server, ifName: `t${tag}m${id}`, cidr: `${net(1, 1)}/30` },
    { ns: studio, ifName: `t${tag}w${id}`, cidr: `${net(1, 2)}/30` },
  );
  // What a LAN's default route gives a studio machine for multicast, without a way elsewhere.
  studio.ip("route", "add", "239.0.0.0/8", "dev", `t${tag}w${id}`);
  return {
    server,
    studio,
    serverTestSide: net(0, 2),
    serverStudioSide: net(1, 1),
    delete() {
      studio.delete();
      server.delete();
    },
  };
}
