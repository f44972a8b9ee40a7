// drizzle-kit settings: `bun run db:generate` writes a migration for every change to src/db/schema.ts.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/manager/db/schema.ts",
  out: "./src/manager/db/migrations",
});
