// Queries on the webhook delivery queue and log (src/manager/webhooks): queueing deliveries once
// per occurrence, the oldest pending delivery of each hook, recording attempts, the delivery log
// and its pruning.
import { and, desc, eq, inArray, notInArray, sql } from "drizzle-orm";
import type { Db, Tx } from "../connection";
import { webhookDeliveries, type WebhookDeliveryRow } from "../schema";

export type DeliveryStatus = WebhookDeliveryRow["status"];
export type NewWebhookDelivery = typeof webhookDeliveries.$inferInsert;

/** Queues the deliveries; one whose (hook, dedupe key) is already queued is skipped. Returns how many were new. */
export function insertWebhookDeliveries(tx: Tx, rows: NewWebhookDelivery[]): number {
  if (rows.length === 0) return 0;
  const inserted = tx.orm
    .insert(webhookDeliveries)
    .values(rows)
    .onConflictDoNothing({ target: [webhookDeliveries.hookName, webhookDeliveries.dedupeKey] })
    .returning({ id: webhookDeliveries.id })
    .all();
  return inserted.length;
}

/** Marks a hook's oldest pending deliveries dropped so at most `keep` stay pending; returns how many. */
export function dropPendingBeyond(tx: Tx, hookName: string, keep: number, now: Date): number {
  const dropped = tx.orm
    .update(webhookDeliveries)
    .set({
      status: "dropped",
      lastError: "dropped: too many deliveries pending for this hook",
      updatedAt: now,
    })
    .where(
      and(
        eq(webhookDeliveries.hookName, hookName),
        eq(webhookDeliveries.status, "pending"),
        sql`${webhookDeliveries.id} not in (select id from ${webhookDeliveries} where hook_name = ${hookName} and status = 'pending' order by id desc limit ${keep})`,
      ),
    )
    .returning({ id: webhookDeliveries.id })
    .all();
  return dropped.length;
}

/** Deletes a hook's finished deliveries (delivered, failed, dropped) but its newest `keep`. */
export function pruneFinishedDeliveries(tx: Tx, hookName: string, keep: number): void {
  tx.orm
    .delete(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.hookName, hookName),
        sql`${webhookDeliveries.status} <> 'pending'`,
        sql`${webhookDeliveries.id} not in (select id from ${webhookDeliveries} where hook_name = ${hookName} and status <> 'pending' order by id desc limit ${keep})`,
      ),
    )
    .run();
}

/** The oldest pending delivery of each of these hooks: deliveries of one hook go out in order. */
export function oldestPendingDeliveries(db: Db, hookNames: string[]): WebhookDeliveryRow[] {
  if (hookNames.length === 0) return [];
  const oldest = db.orm
    .select({ id: sql<number>`min(${webhookDeliveries.id})`.as("id") })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.status, "pending"), inArray(webhookDeliveries.hookName, hookNames)))
    .groupBy(webhookDeliveries.hookName)
    .all()
    .map((r) => r.id);
  if (oldest.length === 0) return [];
  return db.orm.select().from(webhookDeliveries).where(inArray(webhookDeliveries.id, oldest)).all();
}

/** Gives up on pending deliveries of hooks that are no longer configured. */
export function failPendingOfOtherHooks(tx: Tx, hookNames: string[], now: Date, reason: string): number {
  return tx.orm
    .update(webhookDeliveries)
    .set({ status: "failed", lastError: reason, updatedAt: now })
    .where(
      and(
        eq(webhookDeliveries.status, "pending"),
        hookNames.length > 0 ? notInArray(webhookDeliveries.hookName, hookNames) : undefined,
      ),
    )
    .returning({ id: webhookDeliveries.id })
    .all().length;
}

export interface DeliveryAttempt {
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastAttemptAt: Date;
  responseStatus: number | null;
  lastError: string;
}

export function recordDeliveryAttempt(tx: Tx, id: number, attempt: DeliveryAttempt): void {
  tx.orm
    .update(webhookDeliveries)
    .set({ ...attempt, updatedAt: attempt.lastAttemptAt })
    .where(eq(webhookDeliveries.id, id))
    .run();
}

/** The delivery log, newest first; one hook's or all. */
export function recentDeliveries(db: Db, opts: { hookName?: string; limit: number }): WebhookDeliveryRow[] {
  return db.orm
    .select()
    .from(webhookDeliveries)
    .where(opts.hookName !== undefined ? eq(webhookDeliveries.hookName, opts.hookName) : undefined)
    .orderBy(desc(webhookDeliveries.id))
    .limit(opts.limit)
    .all();
}
