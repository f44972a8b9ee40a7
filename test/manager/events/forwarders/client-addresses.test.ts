import { expect, test } from "bun:test";
import { AddressCounts, addressKey } from "../../../../src/manager/events/forwarders/client-addresses";

test("an IPv4 client counts as itself whichever way the Manager listens; IPv6 ones one by one", () => {
  expect(addressKey("10.0.0.5")).toBe("10.0.0.5");
  expect(addressKey("::ffff:10.0.0.5")).toBe("10.0.0.5");
  expect(addressKey("2001:db8::1")).toBe("2001:db8::1");
  expect(addressKey("2001:db8::2")).not.toBe(addressKey("2001:db8::1"));
  expect(addressKey(undefined)).toBe("unknown");
});

test("counts go up and down per key", () => {
  const counts = new AddressCounts();
  counts.add("10.0.0.5");
  counts.add("10.0.0.5");
  counts.add("10.0.0.6");
  expect([counts.get("10.0.0.5"), counts.get("10.0.0.6")]).toEqual([2, 1]);
  counts.remove("10.0.0.5");
  counts.remove("10.0.0.6");
  expect([counts.get("10.0.0.5"), counts.get("10.0.0.6")]).toEqual([1, 0]);
});
