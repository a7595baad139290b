// Runs graphql-http's server audit against a GraphQL endpoint and prints the results as JSON:
//   node audit.mjs http://127.0.0.1:8000/graphql
// One line per audit: {"id", "name", "status" (ok | notice | warn | error), "reason"?}.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}
const results = await auditServer({ url });
const lines = results.map(({ id, name, status, reason }) => ({ id, name, status, reason }));
console.log(JSON.stringify(lines));
