#!/usr/bin/env node
// A committed shim, so that pnpm can link the bin before dist/ is built.
import '../dist/cli.js';
