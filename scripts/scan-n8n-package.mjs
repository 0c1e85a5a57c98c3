#!/usr/bin/env node
// Runs the rules of n8n's community-package scanner (@n8n/scan-community-package) offline over an
// unpacked package folder, the way the scanner checks a published tarball, and prints the result
// as one JSON line: { passed, message?, details? }. Exit code 0 when it passed, 1 otherwise.
// Usage: node scripts/scan-n8n-package.mjs <unpacked package folder>
import { analyzePackage } from '@n8n/scan-community-package/scanner/scanner.mjs';

const folder = process.argv[2];
if (!folder) {
  process.stderr.write('usage: scan-n8n-package.mjs <unpacked package folder>\n');
  process.exit(2);
}
const { passed, message, details } = await analyzePackage(folder);
process.stdout.write(`${JSON.stringify({ passed, message, details })}\n`);
process.exit(passed ? 0 : 1);
