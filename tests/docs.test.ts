/**
 * The README and the pages under docs/ stay in step with the code and with
 * each other: both config tables list exactly the options, CI runs the test
 * commands the README gives, every relative link lands on a file (and on a
 * heading of it), and the README stays a short front door.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { OPTION_KEYS } from "../stacks/options";
import { PROJECT_ROOT } from "../stacks/stackFiles";

function read(path: string): string {
  return readFileSync(join(PROJECT_ROOT, path), "utf8");
}

const readme = read("README.md");
const configuration = read("docs/configuration.md");
const architecture = read("docs/architecture.md");

/** The README's front-door limits, with some margin over what it has now. */
const README_MAX_LINES = 200;
const README_MAX_LINE_LENGTH = 160;

/** The text of a `## heading` section, up to the next `## `. */
function section(markdown: string, heading: string): string {
  const parts = markdown.split(`\n## ${heading}\n`);
  if (parts.length < 2) throw new Error(`no section "## ${heading}"`);
  return parts[1].split("\n## ")[0];
}

/** The header cells and the keys (first column, in backticks) of the first table whose first column is `key`. */
function keyTable(markdown: string): { header: string[]; keys: string[] } {
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) => /^\|\s*key\s*\|/.test(line));
  if (start < 0) return { header: [], keys: [] };
  const header = lines[start]
    .split("|")
    .slice(1, -1)
    .map((cell) => cell.trim());
  const rows: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(line);
  }
  return { header, keys: rows.map((row) => /^\| `([A-Za-z]+)`\s*\|/.exec(row)?.[1] ?? row) };
}

/** Markdown without its fenced code blocks (their `#` lines are no headings, their brackets no links). */
function withoutCodeBlocks(markdown: string): string {
  return markdown.replace(/^[ \t]*(```|~~~)[^\n]*\n[\s\S]*?^[ \t]*\1[ \t]*$/gm, "");
}

/** GitHub's anchor for a heading: lowercase, punctuation but `-` and `_` dropped, spaces to `-`, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, text] of withoutCodeBlocks(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M} _-]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Every `[text](target)` of a Markdown file, outside code blocks and code spans. */
function links(markdown: string): string[] {
  const prose = withoutCodeBlocks(markdown).replace(/`[^`\n]*`/g, "code");
  return [...prose.matchAll(/\[[^\]\n]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map(
    ([, target]) => target,
  );
}

const MARKDOWN_FILES = [
  "README.md",
  ...readdirSync(join(PROJECT_ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

/** The relative links of a file that lead nowhere: a missing file, or a missing heading of a .md file. */
function brokenLinks(file: string, markdown: string): string[] {
  const broken: string[] = [];
  for (const target of links(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http(s), mailto: not checked
    const [path, anchor] = target.split("#", 2);
    const resolved =
      path === "" ? join(PROJECT_ROOT, file) : join(PROJECT_ROOT, dirname(file), path);
    const shown = `${file}: ${target}`;
    if (!resolved.startsWith(PROJECT_ROOT) || !existsSync(resolved)) {
      broken.push(`${shown} (no file ${relative(PROJECT_ROOT, resolved)})`);
    } else if (anchor !== undefined && resolved.endsWith(".md")) {
      if (!headingAnchors(readFileSync(resolved, "utf8")).has(anchor))
        broken.push(`${shown} (no heading #${anchor} in ${relative(PROJECT_ROOT, resolved)})`);
    }
  }
  return broken;
}

describe("README", () => {
  it("lists exactly the options of stacks/options.ts, in the same order, in its short config table", () => {
    const { header, keys } = keyTable(section(readme, "Configuration"));
    expect(header).toEqual(["key", "default", "meaning"]);
    expect(keys).toEqual(OPTION_KEYS);
  });

  it("starts a fresh machine with the offline plan, then the test command", () => {
    const quickstart = readme.split("## Quickstart")[1];
    const firstBlock = quickstart.split("```sh\n")[1].split("```")[0];
    const commands = firstBlock
      .split("\n")
      .map((line) => line.replace(/#.*/, "").trim())
      .filter(Boolean);
    expect(commands).toEqual(["npm ci", "npm run plan -- production", "npm test"]);
  });

  it("gives npm test and npm run test:e2e as the test commands, and .ci/run runs both", () => {
    const ciRun = read(".ci/run");
    expect(readme).toMatch(/^npm test\b/m);
    expect(ciRun).toMatch(/^npm test\b/m);
    expect(readme).toMatch(/^npm run test:e2e\b/m);
    expect(ciRun).toMatch(/^\s*npm run test:e2e\b/m);
  });

  it("pins the same sops version as the component's install hint, in the README and docs/development.md", async () => {
    const { SOPS_VERSION } = await import("../components/sopsSecret");
    expect(read(".ci/install-tools.sh")).toContain(`SOPS_VERSION=${SOPS_VERSION}`);
    expect(readme).toContain(`sops@${SOPS_VERSION}`);
    expect(read("docs/development.md")).toContain(`sops@${SOPS_VERSION}`);
  });

  it(`stays a front door: at most ${README_MAX_LINES} lines, none longer than ${README_MAX_LINE_LENGTH} characters`, () => {
    const lines = readme.replace(/\n$/, "").split("\n");
    expect(lines.length).toBeLessThanOrEqual(README_MAX_LINES);
    const tooLong = lines
      .map((line, index) => ({ line: index + 1, length: [...line].length }))
      .filter(({ length }) => length > README_MAX_LINE_LENGTH);
    expect(tooLong).toEqual([]);
  });

  it("points at nothing outside the repository (../shared, realworld)", () => {
    expect(readme).not.toMatch(/\.\.\/shared|realworld/i);
  });
});

describe("docs/", () => {
  it("docs/configuration.md lists exactly the options of stacks/options.ts, in the same order, with every column", () => {
    const { header, keys } = keyTable(configuration);
    expect(header).toEqual(["key", "type", "default", "meaning"]);
    expect(keys).toEqual(OPTION_KEYS);
  });

  it("draws the token's way as a Mermaid diagram in the README and in docs/architecture.md", () => {
    for (const markdown of [readme, architecture]) {
      const diagram = /^```mermaid\n([\s\S]*?)^```$/m.exec(markdown)?.[1] ?? "";
      expect(diagram).toMatch(/^flowchart /);
      for (const step of [
        "cloudflare:apiToken",
        "sops",
        "sops-secrets-operator",
        "CF_API_TOKEN",
        "external-dns",
      ])
        expect(diagram).toContain(step);
    }
  });

  it("has every relative link of README.md and docs/*.md land on a file, and on a heading when it names one", () => {
    expect(MARKDOWN_FILES.length).toBeGreaterThan(1);
    expect(MARKDOWN_FILES.flatMap((file) => brokenLinks(file, read(file)))).toEqual([]);
  });
});
