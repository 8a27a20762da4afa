// What the browser tests need, checked without the network: Node.js 20 or
// later, Debian's /usr/bin/chromium, and playwright-core in this folder's
// node_modules at the version package-lock.json pins. Exit 1 names what is
// missing and the command that installs it.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const problems = [];
const major = Number(process.versions.node.split(".")[0]);
if (major < 20) problems.push("Node.js " + process.versions.node + " is older than 20 (playwright-core's engines)");
if (!fs.existsSync("/usr/bin/chromium")) problems.push("/usr/bin/chromium is missing: apt-get install chromium");
const lock = JSON.parse(fs.readFileSync(path.join(here, "package-lock.json"), "utf8"));
const wanted = lock.packages["node_modules/playwright-core"].version;
try {
  const req = createRequire(path.join(here, "package.json"));
  const have = JSON.parse(fs.readFileSync(req.resolve("playwright-core/package.json"), "utf8")).version;
  if (have !== wanted) problems.push("playwright-core " + have + " is installed, package-lock.json pins " + wanted);
} catch (_) {
  problems.push("playwright-core is not installed in " + path.join(here, "node_modules"));
}
if (problems.length) {
  console.error("browser tests cannot run:\n  " + problems.join("\n  ") +
                "\ninstall with: bash tools/dev.sh deps   (or: npm ci --prefix " + here + ")");
  process.exit(1);
}
console.log("node " + process.versions.node + ", /usr/bin/chromium, playwright-core " + wanted);
