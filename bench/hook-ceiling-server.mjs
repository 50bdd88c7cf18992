// The ceiling for "hook ingest over HTTP" (bench/hooks-http.ts): bare Node http, JSON.parse and
// one prepared better-sqlite3 INSERT per event, on the same pragmas Workdeck uses. Prints its port.
import http from "node:http";
import Database from "better-sqlite3";

const db = new Database(process.argv[2]);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.exec(
  "CREATE TABLE IF NOT EXISTS hooks (id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, event TEXT, payload TEXT NOT NULL, received_at INTEGER NOT NULL)",
);
const insert = db.prepare("INSERT INTO hooks (session_id, event, payload, received_at) VALUES (?, ?, ?, ?)");

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    try {
      const text = Buffer.concat(chunks).toString("utf8");
      const p = JSON.parse(text);
      const id = Number(insert.run(p.session_id, p.hook_event_name ?? null, text, Date.now()).lastInsertRowid);
      res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ id }));
    } catch {
      res.writeHead(400).end();
    }
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
process.on("SIGTERM", () => process.exit(0));
