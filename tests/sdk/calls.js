// Calls methods of Crisp's official node SDK (npm `crisp-api`) against a Crisp REST host and
// prints what each call resolved or rejected with, as one JSON array on stdout.
//
// Usage: node calls.js <spec.json>, where the spec is
//   {"modules": "<dir holding node_modules/crisp-api>", "host": "http://127.0.0.1:PORT",
//    "tier": "user", "identifier": "...", "key": "...",
//    "calls": [{"service": "website", "method": "listConversations", "args": [...]}]}
// Calls run one after the other, in order, so the server sees them in that order.
"use strict";

const fs = require("fs");
const path = require("path");

async function main() {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const { Crisp } = require(path.join(spec.modules, "node_modules", "crisp-api"));
  const client = new Crisp();
  // The SDK builds URLs as host + "/v1/" + path segments.
  client.setRestHost(spec.host);
  client.authenticateTier(spec.tier, spec.identifier, spec.key);
  const results = [];
  for (const call of spec.calls) {
    const service = client[call.service];
    if (!service || typeof service[call.method] !== "function") {
      results.push({ ok: false, error: `the SDK has no ${call.service}.${call.method}` });
      continue;
    }
    try {
      const data = await service[call.method](...call.args);
      results.push({ ok: true, data: data === undefined ? null : data });
    } catch (error) {
      results.push({ ok: false, error });
    }
  }
  // Exit only once the output is flushed: a pipe takes 64 KiB at a time. Exiting at all is
  // needed because kept-alive connections would hold the process open.
  await new Promise((resolve) => process.stdout.write(JSON.stringify(results) + "\n", resolve));
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(String((error && error.stack) || error) + "\n");
    process.exit(1);
  }
);
