// Validates an AsyncAPI document with the official parser; prints the diagnostics as JSON.
import { Parser } from "@asyncapi/parser";
import { readFileSync } from "node:fs";

const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(process.argv[2], "utf8"));
const errors = diagnostics.filter((d) => d.severity === 0);
console.log(
  JSON.stringify({
    valid: Boolean(document) && errors.length === 0,
    errors: errors.map((d) => ({ message: d.message, path: d.path.join(".") })),
    warnings: diagnostics.filter((d) => d.severity === 1).map((d) => d.message),
  }),
);
process.exit(document && errors.length === 0 ? 0 : 1);
