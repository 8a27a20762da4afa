// The box under test: site-sim (the national site, HTTPS), modem-sim (an AT
// modem on a pty, status reports "delivered"), fax-line (spandsp's fax modem
// and an answering machine on a pty, 8x real time) and a real lifelined on a
// 60-second "hour", its console on 127.0.0.1 with a port of the kernel's
// choosing. Every wait is bounded; stop() ends every process started here.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import crypto from "node:crypto";

export const SUPERIOR_SMS = "+886912000101";

// Polls `probe` every 100 ms until it returns a truthy value; throws after `ms`.
export async function until(what, ms, probe) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error("gave up after " + ms + " ms waiting for " + what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The drill's national centre: its fax is always busy, so a notice is sent by hand.
const DRILL_CENTRE_FAX = "5550902";

function recipientsToml() {
  const entry = (table, key, role, channels) =>
    `[[${table}]]\nkey = "${key}"\nrole = "${role}"\nname = "${key} (test)"\nsource = "test directory"\n` +
    `verified = "2026-11-01"\nchannels = [\n${channels.map(([k, a]) => `  { kind = "${k}", address = "${a}" },`).join("\n")}\n]\n\n`;
  return entry("recipient", "superior", "superior_agency", [["sms", SUPERIOR_SMS], ["fax", "5550101"], ["phone", "07-5550101"]]) +
    entry("recipient", "national_centre", "national_centre", [["fax", "5550201"], ["phone", "02-5550201"]]) +
    entry("drill_recipient", "superior", "superior_agency", [["sms", "+886912000901"], ["phone", "07-5550901"]]) +
    entry("drill_recipient", "national_centre", "national_centre", [["fax", DRILL_CENTRE_FAX], ["phone", "02-5550902"]]);
}

export class Box {
  constructor({ build, source, dir }) {
    this.build = build;
    this.source = source;
    this.dir = dir;
    this.procs = [];
  }

  spawn(name, argv) {
    const log = fs.openSync(path.join(this.dir, name + ".log"), "w");
    const p = spawn(argv[0], argv.slice(1), { stdio: ["ignore", log, log] });
    p.name = name;
    this.procs.push(p);
    return p;
  }

  async start() {
    fs.rmSync(this.dir, { recursive: true, force: true });
    for (const d of ["site", "fax-rx", "state"]) fs.mkdirSync(path.join(this.dir, d), { recursive: true });
    const d = (...p) => path.join(this.dir, ...p);
    this.spawn("site-sim", [this.build + "/tools/site-sim/site-sim", "serve", "--dir", d("site"), "--ready-file", d("site", "ready.json")]);
    this.spawn("modem-sim", [this.build + "/tools/modem-sim/modem-sim", "--link", d("modem"), "--control", d("modem.ctl"),
                             "--report", "delivered", "--die-with-parent"]);
    this.spawn("fax-line", [this.build + "/tools/fax-line/fax-line", "--link=" + d("fax-modem"), "--rx-dir=" + d("fax-rx"), "--speed=8",
                            "--busy=" + DRILL_CENTRE_FAX]);
    await until("the simulators", 15000, () => fs.existsSync(d("site", "ready.json")) && fs.statSync(d("site", "ready.json")).size > 0 &&
                                              fs.existsSync(d("modem")) && fs.existsSync(d("fax-modem")));
    const ready = JSON.parse(fs.readFileSync(d("site", "ready.json"), "utf8"));
    this.admin = "http://127.0.0.1:" + ready.admin_port;
    fs.writeFileSync(d("recipients.toml"), recipientsToml());
    fs.writeFileSync(d("lifeline.toml"), `[daemon]
state_dir = "${d("state")}"
log_level = "info"
[rules]
time_scale = 60
[agency]
name = "測試機關"
contact_phone = "07-5550000"
[site]
base_url = "https://127.0.0.1:${ready.api_port}"
ca_file = "${d("site", "ca.pem")}"
connect_timeout_ms = 1000
total_timeout_ms = 3000
max_attempts = 3
replay_interval_seconds = 2
[monitor]
outage_after_failures = 2
outage_min_span_seconds = 1
recovered_after_successes = 1
probe_interval_seconds = 1
probe_interval_in_outage_seconds = 1
[sms]
device = "${d("modem")}"
retry_delay_ms = 500
[fax]
device = "${d("fax-modem")}"
max_attempts = 3
busy_retry_seconds = 2
[escalation]
recipients_file = "${d("recipients.toml")}"
tick_ms = 200
[console]
listen = "127.0.0.1"
port = 0
drill_scenarios = "${this.source}/config/drills"
fleet_view = "${d("fleet.toml")}"
`);
    // This box is also its agency's machine: the fleet page shows lifeline-fleet's
    // view of the units it expects (its store made by the real program; no
    // broker is needed to read it, and none has been heard yet).
    fs.writeFileSync(d("fleet.toml"), `[fleet]
store = "${d("fleet.db")}"
agency = "kcg-civil"
units = ["hr-qianjin", "hr-zuoying"]
silent_after_seconds = 900
[broker]
host = "127.0.0.1"
ca_file = "${d("site", "ca.pem")}"
cert_file = "${d("site", "ca.pem")}"
key_file = "${d("site", "ca.pem")}"
`);
    const made = spawnSync(this.build + "/tools/fleet/lifeline-fleet", ["--config", d("fleet.toml"), "status"], { encoding: "utf8" });
    if (made.status !== 0) throw new Error("lifeline-fleet status: " + made.stdout + made.stderr);
    this.daemon = this.spawn("lifelined", [this.build + "/daemon/lifelined", "--config", d("lifeline.toml")]);
    this.socket = d("state", "lifelined.sock");
    this.url = (await until("the console's URL", 20000, () => {
      const f = d("state", "console.url");
      return fs.existsSync(f) && fs.readFileSync(f, "utf8").trim();
    })).replace(/\/$/, "");
    await until("the API socket", 10000, async () => (await this.call("GET", "/v1/health").catch(() => ({}))).status === 200);
    this.certificate = fs.readFileSync(d("state", "console-cert.pem"), "utf8");
  }

  // One request to lifelined's API over its Unix socket (the local administrator).
  call(method, p, body) {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request({ socketPath: this.socket, method, path: p, timeout: 10000,
                                 headers: data ? { "Content-Type": "application/json", "Content-Length": data.length } : {} },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c) => { text += c; });
          res.on("end", () => {
            let json = null;
            try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
            resolve({ status: res.statusCode, body: json });
          });
        });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", reject);
      if (data) req.write(data);
      req.end();
    });
  }

  async addUser(name, role) {
    const password = crypto.randomBytes(18).toString("base64url");
    const r = await this.call("POST", "/v1/users", { name, role, password });
    if (r.status !== 201) throw new Error("user " + name + ": " + JSON.stringify(r.body));
    return password;
  }

  // site-sim's fault switch: {"refuse": true} cuts the link; null restores it.
  async siteFault(fault) {
    const r = await fetch(this.admin + "/admin/faults", fault ? { method: "POST", body: JSON.stringify(fault) } : { method: "DELETE" });
    if (!r.ok) throw new Error("site-sim admin: " + r.status);
  }

  // The SHA-256 of the console certificate's public key, as Chromium's
  // --ignore-certificate-errors-spki-list takes it: the browser trusts this
  // one device certificate and nothing else it would not trust anyway.
  spki() {
    const key = new crypto.X509Certificate(this.certificate).publicKey.export({ type: "spki", format: "der" });
    return crypto.createHash("sha256").update(key).digest("base64");
  }

  log(name = "lifelined") {
    try { return fs.readFileSync(path.join(this.dir, name + ".log"), "utf8"); } catch (_) { return ""; }
  }

  async stop() {
    for (const p of this.procs.reverse()) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      p.kill("SIGTERM");
      const ended = await Promise.race([new Promise((r) => p.once("exit", () => r(true))),
                                        new Promise((r) => setTimeout(() => r(false), 5000))]);
      if (!ended) p.kill("SIGKILL");
    }
  }
}
