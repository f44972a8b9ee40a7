// Builds the dashboard with Bun's bundler into in-memory files served under /app/: a
// minified script and stylesheet with content hashes, and the index.html that loads them.
import { join } from "node:path";

export interface WebAsset {
  body: Uint8Array<ArrayBuffer>;
  /** Content-Type header value. */
  type: string;
}

const WEB_ENTRY_HTML = join(import.meta.dir, "..", "web", "index.html");
const WEB_PUBLIC_PATH = "/app/";

export async function buildWebAssets(): Promise<Map<string, WebAsset>> {
  const result = await Bun.build({
    entrypoints: [WEB_ENTRY_HTML],
    minify: true,
    target: "browser",
    publicPath: WEB_PUBLIC_PATH,
    naming: { entry: "[name].[ext]", chunk: "[name]-[hash].[ext]", asset: "[name]-[hash].[ext]" },
    // Selects production code paths of dependencies, e.g. the JSX runtime without debug checks.
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    throw: false,
  });
  if (!result.success) {
    throw new Error(`building the web dashboard failed:\n${result.logs.map(String).join("\n")}`);
  }
  const assets = new Map<string, WebAsset>();
  for (const out of result.outputs) {
    const name = out.path.replace(/^\.\//, "");
    assets.set(WEB_PUBLIC_PATH + name, { body: new Uint8Array(await out.arrayBuffer()), type: out.type });
  }
  return assets;
}
