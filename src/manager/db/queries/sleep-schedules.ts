// Queries on the workers' sleep schedules (one per worker at most).
import { and, eq, isNull, lte, or } from "drizzle-orm";
import type { Db, Tx } from "../connection";
import { sleepSchedules, type SleepScheduleRow } from "../schema";

export function sleepScheduleOfWorker(db: Db, workerId: number): SleepScheduleRow | undefined {
  return db.orm.select().from(sleepSchedules).where(eq(sleepSchedules.workerId, workerId)).get();
}

export type SleepScheduleColumns = Pick<
  typeof sleepSchedules.$inferInsert,
  "isActive" | "daysOfWeek" | "startTime" | "endTime" | "nextCheck"
>;

/** Creates the worker's schedule or replaces it. */
export function saveSleepSchedule(tx: Tx, workerId: number, schedule: SleepScheduleColumns, now: Date): void {
  const row = { ...schedule, updatedAt: now };
  tx.orm
    .insert(sleepSchedules)
    .values({ workerId, createdAt: now, ...row })
    .onConflictDoUpdate({ target: sleepSchedules.workerId, set: row })
    .run();
}

/** Active schedules never checked or whose next check is at or before `now`. */
export function dueSleepSchedules(db: Db, now: Date): SleepScheduleRow[] {
  return db.orm
    .select()
    .from(sleepSchedules)
    .where(
      and(
        eq(sleepSchedules.isActive, true),
        or(isNull(sleepSchedules.nextCheck), lte(sleepSchedules.nextCheck, now)),
      ),
    )
    .all();
}

export function setSleepScheduleNextCheck(tx: Tx, id: number, nextCheck: Date, now: Date): void {
  tx.orm.update(sleepSchedules).set({ nextCheck, updatedAt: now }).where(eq(sleepSchedules.id, id)).run();
}
