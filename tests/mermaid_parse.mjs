// Parses Mermaid diagrams with Mermaid's own parser (mermaid.parse), headless: jsdom supplies the
// DOM that Mermaid's sanitizer expects. Reads a JSON list of diagram texts on stdin, prints a JSON
// list of results: null for a diagram that parses as a flowchart, else the error text.
// Run from tests/test_diagram.py with NODE_PATH at .cache/mermaid/node_modules.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.MERMAID_MODULES, "x.js"));
const { JSDOM } = require("jsdom");
const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMParser = dom.window.DOMParser;
globalThis.Element = dom.window.Element;
const { default: mermaid } = await import(require.resolve("mermaid"));
mermaid.initialize({ startOnLoad: false });

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const text of JSON.parse(input)) {
  try {
    const parsed = await mermaid.parse(text);
    results.push(parsed.diagramType === "flowchart-v2" ? null : `parsed as ${parsed.diagramType}`);
  } catch (error) {
    results.push(String(error.message || error));
  }
}
process.stdout.write(JSON.stringify(results));
