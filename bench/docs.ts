/** Writes a benchmark's table into a docs page between its markers, formatted as the linter wants it. */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../stacks/stackFiles";

export function writeBenchTable(page: string, marker: string, table: string): void {
  const path = join(PROJECT_ROOT, "docs", page);
  const pattern = new RegExp(`<!-- ${marker} -->[\\s\\S]*<!-- /${marker} -->`);
  writeFileSync(
    path,
    readFileSync(path, "utf8").replace(
      pattern,
      `<!-- ${marker} -->\n${table}\n<!-- /${marker} -->`,
    ),
  );
  const biome = spawnSync(
    process.execPath,
    [
      join(PROJECT_ROOT, "node_modules", "@biomejs", "biome", "bin", "biome"),
      "format",
      "--write",
      path,
    ],
    { cwd: PROJECT_ROOT, encoding: "utf8" },
  );
  if (biome.status !== 0) throw new Error(`biome format ${path} failed: ${biome.stderr}`);
}
