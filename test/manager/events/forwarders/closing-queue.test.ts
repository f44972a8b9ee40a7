import { expect, test } from "bun:test";
import { createClosingQueue } from "../../../../src/manager/events/forwarders/closing-queue";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

test("runs closes in order, one batch per event-loop turn, none in the turn that added them", async () => {
  const queue = createClosingQueue(50);
  const ran: number[] = [];
  for (let i = 0; i < 120; i++) queue.add(() => ran.push(i));
  expect(ran).toEqual([]);
  expect(queue.pending).toBe(120);

  await nextTurn();
  expect(ran).toEqual([...Array(50).keys()]);
  await nextTurn();
  expect(ran.length).toBe(100);
  await nextTurn();
  expect(ran).toEqual([...Array(120).keys()]);
  expect(queue.pending).toBe(0);
});
