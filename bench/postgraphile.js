// PostGraphile 4 over the benchmark's database, the peer careerpath is measured against:
// connected as the same Row Level Security-bound app role, the organization set as the
// tenant in every transaction (pgSettings), no JWT. Started by `python -m bench.peer`:
//   DATABASE_URL=postgres://... PORT=5000 ORG_ID=<uuid> node bench/postgraphile.js
// PostGraphile itself is installed under bench/.postgraphile (git-ignored).
"use strict";
const http = require("http");
const path = require("path");
const { postgraphile } = require(path.join(__dirname, ".postgraphile", "node_modules", "postgraphile"));

const org = process.env.ORG_ID;
const handler = postgraphile(process.env.DATABASE_URL, "public", {
  pgSettings: () => ({ "app.org_id": org }),
  disableDefaultMutations: true,
  disableQueryLog: true,
  graphiql: false,
  retryOnInitFail: false,
  setofFunctionsContainNodes: true,
});
http.createServer(handler).listen(Number(process.env.PORT), "127.0.0.1", () => {
  console.log("listening");
});
