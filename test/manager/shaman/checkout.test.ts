import { describe, expect, test } from "bun:test";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { ApiError } from "../../../src/manager/errors";
import { detectLinkMode } from "../../../src/manager/shaman/link-mode";
import { blobPath } from "../../../src/manager/shaman/paths";
import { rejectedBy } from "../../support/thrown";
import { waitFor } from "../../support/wait";
import { tempDirs } from "../../support/temp-dirs";
import { shamanFixture, specFor, TRAVERSALS, tree } from "./fixture";

const tempDir = tempDirs("tablao-shaman-checkout");

describe("creating a checkout", () => {
  test("places relative symbolic links to the blobs, duplicates included", async () => {
    const dir = tempDir();
    const s = shamanFixture(join(dir, "shared"));
    await s.store("scene", "texture");
    const files = [
      specFor("scene.blend", "scene"),
      specFor("tex/a.png", "texture"),
      specFor("tex/copy/a.png", "texture"),
    ];
    expect(await s.checkouts.create("proj/shot-1", files)).toBe("proj/shot-1");
    const out = join(s.layout.checkouts, "proj/shot-1");
    expect(tree(out)).toEqual(["scene.blend@", "tex/", "tex/a.png@", "tex/copy/", "tex/copy/a.png@"]);
    for (const f of files) {
      expect(readlinkSync(join(out, f.path))).toStartWith("../");
      expect(statSync(join(out, f.path)).ino).toBe(statSync(blobPath(s.layout, f)).ino);
    }
    expect(readFileSync(join(out, "tex/copy/a.png"), "utf8")).toBe("texture");
  });

  test("the same file listed twice at one path is placed once; two files at one path are a 400", async () => {
    const s = shamanFixture(join(tempDir(), "shared"));
    await s.store("a", "b");
    expect(await s.checkouts.create("twice", [specFor("x", "a"), specFor("x", "a")])).toBe("twice");
    const err = await rejectedBy(ApiError, () =>
      s.checkouts.create("clash", [specFor("x", "a"), specFor("x", "b")]),
    );
    expect(err.status).toBe(400);
    const nested = await rejectedBy(ApiError, () =>
      s.checkouts.create("nested", [specFor("x", "a"), specFor("x/y", "b")]),
    );
    expect(nested.status).toBe(400);
    expect(existsSync(join(s.layout.checkouts, "clash"))).toBe(false);
    expect(existsSync(join(s.layout.checkouts, "nested"))).toBe(false);
  });

  test("a file that is not stored is a 424 and creates nothing", async () => {
    const s = shamanFixture(join(tempDir(), "shared"));
    await s.store("here");
    const err = await rejectedBy(ApiError, () =>
      s.checkouts.create("p", [specFor("a", "here"), specFor("b", "missing")]),
    );
    expect(err.status).toBe(424);
    expect(err.message).toContain("b");
    expect(existsSync(s.layout.checkouts)).toBe(false);
  });

  test("an existing path gets a suffix; after the last attempt it is a 409", async () => {
    const s = shamanFixture(join(tempDir(), "shared"), { randomSuffix: () => "zz99" });
    await s.store("a");
    const files = [specFor("a", "a")];
    expect(await s.checkouts.create("p", files)).toBe("p");
    expect(await s.checkouts.create("p", files)).toBe("p-zz99");
    const err = await rejectedBy(ApiError, () => s.checkouts.create("p", files));
    expect(err.status).toBe(409);
    expect(tree(s.layout.checkouts)).toEqual(["p/", "p/a@", "p-zz99/", "p-zz99/a@"]);
  });

  test("a failure while placing files removes the checkout it created, not the one asked for", async () => {
    const s = shamanFixture(join(tempDir(), "shared"), { randomSuffix: () => "sfx1" });
    await s.store("a");
    await s.checkouts.create("p", [specFor("a", "a")]);
    // A blob that is gone by the time it is placed (removed by hand): copying it fails.
    const copying = shamanFixture(join(s.layout.checkouts, ".."), {
      linkMode: "copy",
      randomSuffix: () => "sfx1",
    });
    const spec = specFor("a", "a");
    const realIsStored = copying.fileStore.isStored;
    copying.fileStore.isStored = async () => true;
    await rejectedBy(Error, () => copying.checkouts.create("p", [{ ...spec, size: 99 }]));
    copying.fileStore.isStored = realIsStored;
    expect(tree(s.layout.checkouts)).toEqual(["p/", "p/a@"]);
  });
});

describe("checkouts cannot leave the checkout root", () => {
  test.each(TRAVERSALS)("checkout path %#: %j is a 400 and creates nothing", async (path) => {
    const dir = tempDir();
    const s = shamanFixture(join(dir, "shared"));
    await s.store("a");
    const before = tree(dir);
    const err = await rejectedBy(ApiError, () => s.checkouts.create(path, [specFor("f", "a")]));
    expect(err.status).toBe(400);
    expect(tree(dir)).toEqual(before);
  });

  test.each(TRAVERSALS)("file path %#: %j is a 400 and creates nothing", async (path) => {
    const dir = tempDir();
    const s = shamanFixture(join(dir, "shared"));
    await s.store("a");
    const before = tree(dir);
    const err = await rejectedBy(ApiError, () => s.checkouts.create("p", [specFor(path, "a")]));
    expect(err.status).toBe(400);
    expect(tree(dir)).toEqual(before);
  });

  test("a symbolic link already in the tree is not followed", async () => {
    const dir = tempDir();
    const outside = join(dir, "outside");
    mkdirSync(outside);
    const s = shamanFixture(join(dir, "shared"), { randomSuffix: () => "abcd" });
    await s.store("a");
    mkdirSync(join(s.layout.checkouts, "project"), { recursive: true });
    symlinkSync(outside, join(s.layout.checkouts, "escape"));
    symlinkSync(outside, join(s.layout.checkouts, "project", "escape"));
    symlinkSync("../..", join(s.layout.checkouts, "project", "up"));
    writeFileSync(join(s.layout.checkouts, "a-file"), "");
    const files = [specFor("f", "a")];
    for (const path of [
      "escape/x",
      "project/escape/x",
      "project/up/x",
      "project/up/shared/jobs/x",
      "a-file/x",
    ]) {
      const err = await rejectedBy(ApiError, () => s.checkouts.create(path, files));
      expect({ path, status: err.status }).toEqual({ path, status: 400 });
    }
    expect(tree(outside)).toEqual([]);
    // A link as the last component is simply taken: a suffixed real folder is made beside it.
    expect(await s.checkouts.create("project/escape", files)).toBe("project/escape-abcd");
    expect(lstatSync(join(s.layout.checkouts, "project/escape-abcd")).isDirectory()).toBe(true);
    expect(tree(outside)).toEqual([]);
  });
});

describe("where symbolic links are impossible", () => {
  test("hard links show the stored files", async () => {
    const s = shamanFixture(join(tempDir(), "shared"), { linkMode: "hardlink" });
    await s.store("data");
    await s.checkouts.create("p", [specFor("d/file", "data")]);
    const placed = join(s.layout.checkouts, "p/d/file");
    expect(lstatSync(placed).isSymbolicLink()).toBe(false);
    expect(lstatSync(placed).nlink).toBe(2);
    expect(readFileSync(placed, "utf8")).toBe("data");
  });

  test("copies show the stored files and are independent of them", async () => {
    const s = shamanFixture(join(tempDir(), "shared"), { linkMode: "copy" });
    await s.store("data");
    await s.checkouts.create("p", [specFor("file", "data")]);
    const placed = join(s.layout.checkouts, "p/file");
    expect(lstatSync(placed).isSymbolicLink()).toBe(false);
    expect(lstatSync(placed).nlink).toBe(1);
    expect(readFileSync(placed, "utf8")).toBe("data");
  });
});

describe("requirements", () => {
  test("lists unknown files once per blob, leaves stored ones out and marks those as used", async () => {
    const s = shamanFixture(join(tempDir(), "shared"));
    await s.store("old");
    const blob = blobPath(s.layout, specFor("", "old"));
    s.clock.advance(3_600_000);
    const wanted = await s.checkouts.requirements([
      specFor("a", "new"),
      specFor("b", "new"),
      specFor("c", "old"),
      specFor("d", "other"),
    ]);
    expect(wanted).toEqual([
      { ...specFor("a", "new"), status: "unknown" },
      { ...specFor("d", "other"), status: "unknown" },
    ]);
    // The touch is not awaited by the answer.
    await waitFor("the blob's mtime to move", () => statSync(blob).mtimeMs === s.clock.now().getTime());
  });

  test("a bad file path is a 400", async () => {
    const s = shamanFixture(join(tempDir(), "shared"));
    const err = await rejectedBy(ApiError, () => s.checkouts.requirements([specFor("../x", "a")]));
    expect(err.status).toBe(400);
  });
});

describe("removing a checkout (job deletion)", () => {
  test("removes the folder and its parent when left empty, never the blobs", async () => {
    const s = shamanFixture(join(tempDir(), "shared"));
    await s.store("a");
    await s.checkouts.create("proj/one", [specFor("f", "a")]);
    await s.checkouts.create("proj/two", [specFor("f", "a")]);
    await s.checkouts.remove("proj/one");
    expect(tree(s.layout.checkouts)).toEqual(["proj/", "proj/two/", "proj/two/f@"]);
    await s.checkouts.remove("proj/two");
    expect(tree(s.layout.checkouts)).toEqual([]);
    expect(existsSync(blobPath(s.layout, specFor("", "a")))).toBe(true);
    await s.checkouts.remove("proj/two"); // already gone: fine
  });

  test("an ID that is not a checkout path, or runs through a link, removes nothing", async () => {
    const dir = tempDir();
    const victim = join(dir, "victim");
    mkdirSync(join(victim, "inner"), { recursive: true });
    const s = shamanFixture(join(dir, "shared"));
    mkdirSync(s.layout.checkouts, { recursive: true });
    symlinkSync(victim, join(s.layout.checkouts, "link"));
    for (const id of ["../../victim", "/tmp", "link/inner", "link"]) await s.checkouts.remove(id);
    expect(tree(victim)).toEqual(["inner/"]);
  });
});

describe("finding how checkouts place files", () => {
  test("symbolic links where they work, with no probe left behind", async () => {
    const dir = tempDir();
    expect(await detectLinkMode(dir)).toBe("symlink");
    expect(tree(dir)).toEqual([]);
  });
});
