import { describe, expect, test } from "bun:test";
import { buildManagerConfig, type ManagerConfig } from "../../../src/manager/config/load";
import { validateConfigFile } from "../../../src/manager/config/schema";
import { makeExpander, replaceTwoWay, resolveVariables } from "../../../src/manager/config/variables";

/** A Manager configuration as loaded from a file in /etc/tablao, without touching the disk. */
function configWith(settings: Record<string, unknown>, platform = "linux"): ManagerConfig {
  const { file, warnings } = validateConfigFile(
    { _meta: { version: 3 }, ...settings },
    { label: "test.yaml", platform },
  );
  return buildManagerConfig(file, {
    configPath: "/etc/tablao/test.yaml",
    baseDir: "/etc/tablao",
    cwd: "/",
    env: {},
    platform,
    warnings,
  });
}

const MY_STORAGE = {
  my_storage: {
    is_twoway: true,
    values: [
      { platform: "linux", value: "/media/shared/flamenco" },
      { platform: "windows", value: "F:\\flamenco" },
    ],
  },
};

const SHARED = {
  shared: {
    is_twoway: true,
    values: [
      { platform: "linux", value: "/shared/flamenco" },
      { platform: "windows", value: "Y:\\shared\\flamenco" },
    ],
  },
};

describe("resolveVariables (getVariables)", () => {
  test("defaults per platform plus the implicit jobs variable", () => {
    const cfg = configWith({ shared_storage_path: "/media/shared/flamenco" });
    expect(resolveVariables(cfg, "workers", "linux")).toEqual({
      blender: { value: "blender", is_twoway: false },
      blenderArgs: { value: "-b -y", is_twoway: false },
      jobs: { value: "/media/shared/flamenco/jobs", is_twoway: false },
    });
    expect(resolveVariables(cfg, "users", "windows").blender).toEqual({
      value: "blender.exe",
      is_twoway: false,
    });
  });

  test("jobs is the shared storage itself without Shaman, and relative storage resolves against the file folder", () => {
    const cfg = configWith({ shared_storage_path: "farm", shaman: { enabled: false } });
    expect(resolveVariables(cfg, "users", "linux").jobs).toEqual({
      value: "/etc/tablao/farm",
      is_twoway: false,
    });
  });

  test("an unknown platform sees only the `all` values", () => {
    const cfg = configWith({});
    expect(Object.keys(resolveVariables(cfg, "workers", "autumn"))).toEqual(["blenderArgs", "jobs"]);
    expect(Object.keys(resolveVariables(cfg, "workers", "constructor"))).toEqual(["blenderArgs", "jobs"]);
  });

  test("audiences, platform lists, specific-over-all and later-over-earlier", () => {
    const cfg = configWith({
      variables: {
        render: {
          is_twoway: true,
          values: [
            { platform: "all", value: "/render-all" },
            { platforms: ["linux", "darwin"], value: "/render/" },
            { platform: "darwin", audience: "users", value: "/Volumes/render" },
            { platform: "windows", audience: "workers", value: "R:\\" },
            { platform: "windows", audience: "workers", value: "S:\\render" },
          ],
        },
      },
    });
    const render = (audience: "users" | "workers", platform: string) =>
      resolveVariables(cfg, audience, platform).render;
    expect(render("workers", "linux")).toEqual({ value: "/render", is_twoway: true });
    expect(render("workers", "darwin")).toEqual({ value: "/render", is_twoway: true });
    expect(render("users", "darwin")).toEqual({ value: "/Volumes/render", is_twoway: true });
    expect(render("workers", "windows")).toEqual({ value: "S:\\render", is_twoway: true });
    expect(render("users", "windows")).toEqual({ value: "/render-all", is_twoway: true });
  });

  test("names come back sorted", () => {
    const cfg = configWith({
      variables: {
        zeta: { values: [{ platform: "all", value: "z" }] },
        alpha: { values: [{ platform: "all", value: "a" }] },
      },
    });
    expect(Object.keys(resolveVariables(cfg, "users", "linux"))).toEqual([
      "alpha",
      "blender",
      "blenderArgs",
      "jobs",
      "zeta",
    ]);
  });
});

describe("two-way replacement at submission", () => {
  test("the my_storage example", () => {
    const cfg = configWith({ variables: MY_STORAGE });
    const { settings, metadata } = replaceTwoWay(
      cfg,
      "linux",
      { render_output_root: "/media/shared/flamenco/renders/x", frames: "1-10", chunk_size: 3 },
      { scene: "/media/shared/flamenco/scenes/123", project: "Sprite Fright" },
    );
    expect(settings).toEqual({ render_output_root: "{my_storage}/renders/x", frames: "1-10", chunk_size: 3 });
    expect(metadata).toEqual({ scene: "{my_storage}/scenes/123", project: "Sprite Fright" });
    expect(makeExpander(cfg, "windows")(settings.render_output_root)).toBe("F:\\flamenco\\renders\\x");
    expect(makeExpander(cfg, "linux")(settings.render_output_root)).toBe("/media/shared/flamenco/renders/x");
  });

  test("mixed slashes and drive-letter case still match; the rest keeps its own slashes", () => {
    const cfg = configWith({ variables: SHARED });
    const replace = (platform: string, path: string) =>
      replaceTwoWay(cfg, platform, { path }, {}).settings.path;
    expect(replace("windows", "Y:\\shared\\flamenco\\shot\\file.blend")).toBe("{shared}\\shot\\file.blend");
    expect(replace("windows", "Y:/shared/flamenco/shot/file.blend")).toBe("{shared}/shot/file.blend");
    expect(replace("windows", "y:\\shared\\flamenco\\shot\\file.blend")).toBe("{shared}\\shot\\file.blend");
    expect(replace("windows", "Y:\\SHARED\\flamenco\\shot\\file.blend")).toBe("{shared}\\shot\\file.blend");
    expect(replace("windows", "Y:\\shared\\FLAMENCO\\SHOT\\file.blend")).toBe("{shared}\\SHOT\\file.blend");
    expect(replace("linux", "/shared\\flamenco\\shot\\file.blend")).toBe("{shared}\\shot\\file.blend");
    expect(replace("linux", "/shared/flamenco/shot/file.blend")).toBe("{shared}/shot/file.blend");
  });

  test("longest match first, on a path-separator boundary, whatever the definition order", () => {
    const outer = { is_twoway: true, values: [{ platform: "linux", value: "/media/shared" }] };
    const inner = { is_twoway: true, values: [{ platform: "linux", value: "/media/shared/flamenco/" }] };
    for (const variables of [
      { outer, inner },
      { inner, outer },
    ]) {
      const cfg = configWith({ variables });
      const { settings } = replaceTwoWay(
        cfg,
        "linux",
        {
          a: "/media/shared2/x",
          b: "/media/shared/flamenco/x",
          c: "/media/shared/other",
          d: "/media/shared",
          e: "/backup/media/shared/x",
          f: "/media/shared/flamencos",
        },
        {},
      );
      expect(settings).toEqual({
        a: "/media/shared2/x",
        b: "{inner}/x",
        c: "{outer}/other",
        d: "{outer}",
        e: "/backup/media/shared/x",
        f: "{outer}/flamencos",
      });
    }
  });

  test("nested settings are replaced too; non-strings and inputs are left alone", () => {
    const cfg = configWith({ variables: MY_STORAGE });
    const input = {
      outputs: ["/media/shared/flamenco/a", 7, { deep: "/media/shared/flamenco/b" }],
      enabled: true,
      nothing: null,
    };
    const before = structuredClone(input);
    const { settings } = replaceTwoWay(cfg, "linux", input, {});
    expect(settings).toEqual({
      outputs: ["{my_storage}/a", 7, { deep: "{my_storage}/b" }],
      enabled: true,
      nothing: null,
    });
    expect(input).toEqual(before);
  });

  test("values for users and for workers both count", () => {
    const cfg = configWith({
      variables: {
        render: {
          is_twoway: true,
          values: [
            { platform: "linux", audience: "users", value: "/home/me/render" },
            { platform: "linux", audience: "workers", value: "/render" },
          ],
        },
      },
    });
    const { metadata } = replaceTwoWay(cfg, "linux", {}, { a: "/home/me/render/x", b: "/render/y" });
    expect(metadata).toEqual({ a: "{render}/x", b: "{render}/y" });
  });

  test("one-way variables are never substituted back", () => {
    const cfg = configWith({ shared_storage_path: "/srv/flamenco" });
    expect(replaceTwoWay(cfg, "linux", { p: "/srv/flamenco/jobs/x" }, {}).settings.p).toBe(
      "/srv/flamenco/jobs/x",
    );
  });
});

describe("expansion for workers", () => {
  test("mixed slashes are normalised over the whole path for the worker", () => {
    const cfg = configWith({ variables: SHARED });
    expect(makeExpander(cfg, "windows")("{shared}\\shot\\file.blend")).toBe(
      "Y:\\shared\\flamenco\\shot\\file.blend",
    );
    expect(makeExpander(cfg, "windows")("{shared}/shot/file.blend")).toBe(
      "Y:\\shared\\flamenco\\shot\\file.blend",
    );
    expect(makeExpander(cfg, "linux")("{shared}\\shot\\file.blend")).toBe("/shared/flamenco/shot/file.blend");
  });

  test("windows drive letters: a bare `X:` value still gives an absolute path", () => {
    const cfg = configWith({
      variables: {
        render: {
          is_twoway: true,
          values: [
            { platform: "linux", value: "/mnt/render" },
            { platform: "windows", value: "R:\\" },
          ],
        },
      },
    });
    const toWindows = makeExpander(cfg, "windows");
    expect(toWindows("{render}/frames/x.png")).toBe("R:\\frames\\x.png");
    expect(toWindows("{render}")).toBe("R:\\");
    expect(toWindows("/mnt/render/frames/x.png")).toBe("R:\\frames\\x.png");
    expect(toWindows("/mnt/render")).toBe("R:\\");
    expect(replaceTwoWay(cfg, "windows", { p: "r:\\frames\\a.png" }, {}).settings.p).toBe(
      "{render}\\frames\\a.png",
    );
  });

  test("{jobs} reaches other platforms through a two-way variable of the Manager platform", () => {
    const cfg = configWith({ shared_storage_path: "/media/shared/flamenco", variables: MY_STORAGE });
    expect(makeExpander(cfg, "windows")("{jobs}/abc/file.blend")).toBe("F:\\flamenco\\jobs\\abc\\file.blend");
    expect(makeExpander(cfg, "linux")("{jobs}/abc/file.blend")).toBe(
      "/media/shared/flamenco/jobs/abc/file.blend",
    );
    // No darwin value: the Manager's path goes out as it is.
    expect(makeExpander(cfg, "darwin")("{jobs}/abc/file.blend")).toBe(
      "/media/shared/flamenco/jobs/abc/file.blend",
    );
  });

  test("a Windows Manager translates its own paths for Linux workers", () => {
    const cfg = configWith(
      { shared_storage_path: "F:\\flamenco", shaman: { enabled: false }, variables: MY_STORAGE },
      "windows",
    );
    expect(makeExpander(cfg, "linux")("F:\\flamenco\\renders\\x.png")).toBe(
      "/media/shared/flamenco/renders/x.png",
    );
    expect(makeExpander(cfg, "linux")("f:/Flamenco/renders/x.png")).toBe(
      "/media/shared/flamenco/renders/x.png",
    );
  });

  test("translation uses the longest Manager value on a boundary", () => {
    const cfg = configWith({
      variables: {
        outer: {
          is_twoway: true,
          values: [
            { platform: "linux", value: "/media/shared" },
            { platform: "windows", value: "S:" },
          ],
        },
        inner: {
          is_twoway: true,
          values: [
            { platform: "linux", value: "/media/shared/flamenco" },
            { platform: "windows", value: "F:" },
          ],
        },
      },
    });
    const toWindows = makeExpander(cfg, "windows");
    expect(toWindows("/media/shared/flamenco/x")).toBe("F:\\x");
    expect(toWindows("/media/shared/other/x")).toBe("S:\\other\\x");
    expect(toWindows("/media/shared2/x")).toBe("/media/shared2/x");
  });

  test("parameters of any shape: strings, arrays, nested objects; keys and non-strings untouched", () => {
    const cfg = configWith({
      variables: {
        ...SHARED,
        blender: { values: [{ platform: "linux", value: "/opt/blender/blender" }] },
      },
    });
    const params = {
      exe: "{blender}",
      message: "Running Blender from {blender} {blender}",
      args: ["--render-out", "{shared}/render/######", 3, true, null],
      nested: { deeper: ["{shared}/a"] },
      "{blender}": 3,
      unknown: "{hey}/haha",
      cycles_chunk: 1.0,
    };
    const before = structuredClone(params);
    expect(makeExpander(cfg, "linux")(params)).toEqual({
      exe: "/opt/blender/blender",
      message: "Running Blender from /opt/blender/blender /opt/blender/blender",
      args: ["--render-out", "/shared/flamenco/render/######", 3, true, null],
      nested: { deeper: ["/shared/flamenco/a"] },
      "{blender}": 3,
      unknown: "{hey}/haha",
      cycles_chunk: 1.0,
    });
    expect(params).toEqual(before);
  });

  test("text that involves no two-way variable keeps its slashes", () => {
    const cfg = configWith({ variables: SHARED });
    expect(makeExpander(cfg, "windows")("pad=ceil(iw/2)*2:ceil(ih/2)*2")).toBe(
      "pad=ceil(iw/2)*2:ceil(ih/2)*2",
    );
    expect(makeExpander(cfg, "windows")('{blenderArgs} --python-expr "a/b"')).toBe(
      '-b -y --python-expr "a/b"',
    );
  });

  test("one-way values are expanded before two-way placeholders, once each", () => {
    const cfg = configWith({
      variables: {
        ...SHARED,
        renders: { values: [{ platform: "all", value: "{shared}/renders" }] },
        loop: { values: [{ platform: "all", value: "{loop}" }] },
      },
    });
    expect(makeExpander(cfg, "windows")("{renders}/x")).toBe("Y:\\shared\\flamenco\\renders\\x");
    expect(makeExpander(cfg, "linux")("{loop}")).toBe("{loop}");
  });
});
