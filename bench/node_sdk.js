// Crisp's official Node SDK (npm crisp-api) doing what bench/run asks of crisp-repl, against
// the same demo server: `calls N` lists page 1 (per_page 20) N times; `walk` reads every
// conversation in pages of 50, one page after another, as the SDK's users write it.
// Usage: node bench/node_sdk.js MODULE_DIR calls 2000 | walk EXPECTED
"use strict";
const Crisp = require(process.argv[2]).default;

async function main() {
  const env = process.env;
  const client = new Crisp();
  client.setRestHost(env.CRISP_API_URL.replace(/\/v1\/?$/, ""));
  client.authenticateTier(env.CRISP_TIER, env.CRISP_IDENTIFIER, env.CRISP_KEY);
  const conversations = client.website;
  const website = env.CRISP_WEBSITE_ID;
  if (process.argv[3] === "calls") {
    const n = Number(process.argv[4]);
    for (let i = 0; i < n; i++) {
      const page = await conversations.listConversations(website, 1, { per_page: 20 });
      if (page.length !== 20) throw new Error("expected 20 conversations, got " + page.length);
    }
  } else {
    const all = [];
    for (let page = 1; ; page++) {
      const batch = await conversations.listConversations(website, page, { per_page: 50 });
      all.push(...batch);
      if (batch.length < 50) break;
    }
    if (all.length !== Number(process.argv[4])) throw new Error("walked " + all.length);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
