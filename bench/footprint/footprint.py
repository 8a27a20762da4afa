#!/usr/bin/env python3
# bench/footprint: the box's idle cost, lifelined beside smsd (smstools) and
# gammu-smsd started on the same machine in the same run, each with a
# simulated modem (tools/modem-sim) on a pty, since both refuse to idle
# without one. lifelined runs with the embedded defaults (no modem: that is
# what "embedded defaults" is), and again with the same modem-sim as the
# others. For each: VmRSS, RssAnon (private), RssFile (shared library pages
# touched), summed over the daemon's processes, and wakeups a second (context
# switches of all its threads over the idle window). For lifelined also the
# time from exec to READY=1 on a NOTIFY_SOCKET, with --reports N stored first
# (then also VmRSS after one `lifeline report list` of them all, and 12 s
# later, once lifelined has trimmed what the listing freed); they are aware
# of just now unless --overdue, when the engine escalates them all. With the
# embedded defaults, also what lifelined holds after it made its first PDF
# (one report filed and its printable record fetched).
#   footprint [--idle SECONDS] [--reports N [--overdue]]
import argparse, json, os, shutil, signal, socket, subprocess, sys, tempfile, time

BIN = "@CMAKE_BINARY_DIR@"
LIFELINED = BIN + "/daemon/lifelined"
MODEM_SIM = BIN + "/tools/modem-sim/modem-sim"


def tree(pid):
    """pid and its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if v.strip().endswith("kB"):
                fields[k] = int(v.split()[0])
    return fields


def switches(pids):
    n = 0
    for p in pids:
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/status") as f:
                    for line in f:
                        if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                            n += int(line.split()[1])
        except OSError:
            pass
    return n


def measure(name, pid, idle):
    time.sleep(min(5, idle))  # settle after start
    pids = tree(pid)
    before = switches(pids)
    time.sleep(idle)
    pids = tree(pid)
    wakeups = (switches(pids) - before) / idle
    rss = anon = file_ = 0
    for p in pids:
        s = status(p)
        rss += s.get("VmRSS", 0)
        anon += s.get("RssAnon", 0)
        file_ += s.get("RssFile", 0)
    return {"name": name, "processes": len(pids), "rss_kb": rss, "anon_kb": anon, "file_kb": file_,
            "wakeups_per_s": round(wakeups, 2)}


# What each part of lifelined costs at idle, by the libraries that part
# brings (a library serves the first group whose pattern it matches).
LIBRARY_GROUPS = [
    ("the fax page's text and preview (freetype, libpng)",
     r"pango|cairo|glib|gobject|gio-|gmodule|harfbuzz|fontconfig|freetype|pixman|xcb|libX|fribidi|thai|datrie|"
     r"graphite|expat|pcre2|libmount|selinux|blkid|ffi|png16|libbsd|libmd\."),
    ("HTTPS to the site and SMTP (libcurl and what Debian builds it with)",
     r"curl|nghttp|idn2|rtmp|ssh2|psl|gssapi|ldap|lber|unistring|gnutls|hogweed|nettle|gmp|krb5|k5crypto|com_err|"
     r"sasl|keyutils|resolv|p11-kit|tasn1|brotli"),
    ("the console's TLS and the device key (OpenSSL)", r"libssl|libcrypto"),
    ("fax T.30/T.4 (spandsp, libtiff and its codecs)", r"spandsp|tiff|webp|zstd|lzma|Lerc|jbig|jpeg|deflate|libz\."),
    ("the store (SQLite)", r"sqlite"),
    ("C and C++ runtime", r"libc\.|libm\.|libstdc\+\+|libgcc_s|ld-linux"),
    ("logging, configuration, hashing, MQTT, passwords", r"spdlog|fmt|toml|mbedcrypto|mosquitto|argon2"),
]


def libraries(pid):
    """Resident and private kB of lifelined's own image and of each group of libraries."""
    import re
    rows, name = {}, None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+$", head[0]):
                path = head[5] if len(head) > 5 else ""
                name = None
                if path == LIFELINED or path.endswith("/lifelined"):
                    name = "lifelined's own code and data"
                elif ".so" in path:
                    name = next((g for g, pattern in LIBRARY_GROUPS if re.search(pattern, path)), "other libraries")
            elif name and head[0] in ("Rss:", "Anonymous:"):
                rss, anon = rows.get(name, (0, 0))
                rows[name] = (rss + int(head[1]), anon) if head[0] == "Rss:" else (rss, anon + int(head[1]))
    return sorted(rows.items(), key=lambda kv: -kv[1][0])


def mapped_libraries(pid):
    """The shared libraries mapped into pid."""
    with open(f"/proc/{pid}/maps") as f:
        return {line.split()[5] for line in f if len(line.split()) > 5 and ".so" in line.split()[5]}


def modem(work, tag):
    link = os.path.join(work, f"modem-{tag}")
    p = subprocess.Popen([MODEM_SIM, "--link", link], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    json.loads(p.stdout.readline())
    return p, link


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def http_unix(path, method, target, body=b""):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(f"{method} {target} HTTP/1.1\r\nHost: lifelined\r\nConnection: close\r\n"
              f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    return int(data.split(b" ", 2)[1]), data.partition(b"\r\n\r\n")[2]


def lifelined(work, idle, reports, sms_device=None, overdue=False):
    state = os.path.join(work, "state-" + ("modem" if sms_device else "defaults"))
    os.makedirs(state)
    config = None
    if sms_device or reports:
        config = os.path.join(state, "bench.toml")
        with open(config, "w") as f:
            f.write(f'[daemon]\nstate_dir = "{state}"\n')
            if sms_device:
                f.write(f'[sms]\ndevice = "{sms_device}"\n')
    notify_path = os.path.join(work, "notify")
    if os.path.exists(notify_path):
        os.unlink(notify_path)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    env = dict(os.environ, NOTIFY_SOCKET=notify_path)

    def start():
        t0 = time.monotonic()
        p = subprocess.Popen([LIFELINED] + (["--config", config] if config else []), cwd=state, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        notify.settimeout(60)
        while True:
            msg = notify.recv(4096).decode()
            if msg.startswith("READY=1"):
                return p, (time.monotonic() - t0) * 1000

    p, ready_ms = start()
    if reports:
        sample = json.load(open(os.path.join("@LIFELINE_SOURCE_DIR@", "config", "sample-report.json")))
        sock = os.path.join(state, "lifelined.sock") if config else os.path.join(state, "lifeline-state", "lifelined.sock")
        import uuid, datetime
        if not overdue:
            # Aware of just now: open, their deadlines ahead, nothing escalated while measured.
            now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).isoformat(timespec="seconds")
            sample["aware_at"] = sample["filed_at"] = sample["discovered_at"] = now
        for _ in range(reports):
            sample["id"] = str(uuid.uuid4())
            if http_unix(sock, "POST", "/v1/reports", json.dumps(sample).encode())[0] != 201:
                sys.exit("a report was refused")
        stop(p)
        p, ready_ms = start()
    r = measure("lifelined" + (" (modem-sim)" if sms_device else " (embedded defaults)"), p.pid, idle)
    if not sms_device and not reports:
        r["libraries"] = libraries(p.pid)
        r["libraries_mapped"] = len(mapped_libraries(p.pid))
        # The first PDF: a report filed, its printable record fetched, then the same figures.
        sample = json.load(open(os.path.join("@LIFELINE_SOURCE_DIR@", "config", "sample-report.json")))
        import uuid
        sample["id"] = str(uuid.uuid4())
        sock = os.path.join(state, "lifeline-state", "lifelined.sock")
        if http_unix(sock, "POST", "/v1/reports", json.dumps(sample).encode())[0] != 201:
            sys.exit("the report was refused")
        code, pdf = http_unix(sock, "GET", f"/v1/reports/{sample['id']}/record.pdf")
        if code != 200 or not pdf.startswith(b"%PDF-"):
            sys.exit(f"no printable record: HTTP {code}")
        time.sleep(3)
        after = [status(p_) for p_ in tree(p.pid)]
        r["after_pdf"] = {"rss_kb": sum(x.get("VmRSS", 0) for x in after),
                          "anon_kb": sum(x.get("RssAnon", 0) for x in after),
                          "libraries_mapped": len(mapped_libraries(p.pid)), "pdf_bytes": len(pdf)}
    r["ready_ms"] = round(ready_ms, 1)
    r["stored_reports"] = reports
    if reports:
        # The issue's second figure: resident memory after one full listing.
        cli = [BIN + "/tools/lifeline/lifeline"] + (["--config", config] if config else [])
        subprocess.run(cli + ["report", "list"], cwd=state, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        r["rss_after_list_kb"] = sum(status(p_).get("VmRSS", 0) for p_ in tree(p.pid))
        # lifelined gives what a burst freed back every 10 s (daemon/core/memory.h).
        time.sleep(12)
        r["rss_after_list_settled_kb"] = sum(status(p_).get("VmRSS", 0) for p_ in tree(p.pid))
    stop(p)
    notify.close()
    return r


def smsd(work, idle, device):
    d = os.path.join(work, "smsd")
    for sub in ("outgoing", "checked", "incoming", "failed", "sent"):
        os.makedirs(os.path.join(d, sub))
    conf = os.path.join(d, "smsd.conf")
    with open(conf, "w") as f:
        f.write(f"devices = GSM1\noutgoing = {d}/outgoing\nchecked = {d}/checked\nincoming = {d}/incoming\n"
                f"failed = {d}/failed\nsent = {d}/sent\nlogfile = {d}/smsd.log\ninfofile = {d}/smsd.working\n"
                f"pidfile = {d}/smsd.pid\nloglevel = 5\n\n[GSM1]\ndevice = {device}\nincoming = yes\n")
    p = subprocess.Popen(["smsd", "-t", "-c" + conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2)
    r = measure("smsd (smstools)", p.pid, idle)
    stop(p)
    return r


def gammu_smsd(work, idle, device):
    d = os.path.join(work, "gammu")
    for sub in ("inbox", "outbox", "sent", "error"):
        os.makedirs(os.path.join(d, sub))
    conf = os.path.join(d, "gammu-smsdrc")
    with open(conf, "w") as f:
        f.write(f"[gammu]\ndevice = {device}\nconnection = at\n\n[smsd]\nservice = files\nlogfile = {d}/smsd.log\n"
                f"inboxpath = {d}/inbox/\noutboxpath = {d}/outbox/\nsentsmspath = {d}/sent/\n"
                f"errorsmspath = {d}/error/\n")
    p = subprocess.Popen(["gammu-smsd", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2)
    if p.poll() is not None:
        return {"name": "gammu-smsd", "error": f"exited {p.returncode}; see its log"}
    r = measure("gammu-smsd", p.pid, idle)
    stop(p)
    return r


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--idle", type=float, default=10)
    a.add_argument("--reports", type=int, default=0)
    a.add_argument("--overdue", action="store_true",
                   help="file the reports with the sample's old awareness: every one escalates while measured")
    args = a.parse_args()
    # The baselines are Debian's own daemons, not the build's.
    missing = [prog for prog in ("smsd", "gammu-smsd") if not shutil.which(prog)]
    if missing:
        sys.exit(f"footprint: {', '.join(missing)} not installed (apt-get install smstools gammu-smsd): "
                 "the baselines are measured in the same run")
    work = tempfile.mkdtemp(prefix="footprint-")
    rows, sims = [], []
    try:
        rows.append(lifelined(work, args.idle, args.reports, overdue=args.overdue))
        for tag, fn in (("lifelined", lambda d: lifelined(work, args.idle, 0, d)), ("smsd", lambda d: smsd(work, args.idle, d)),
                        ("gammu", lambda d: gammu_smsd(work, args.idle, d))):
            sim, link = modem(work, tag)
            sims.append(sim)
            rows.append(fn(link))
            stop(sim)
    finally:
        for s in sims:
            stop(s)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'daemon':34} {'procs':>5} {'VmRSS kB':>9} {'RssAnon kB':>10} {'RssFile kB':>10} {'wakeups/s':>9} {'READY ms':>8}")
    for r in rows:
        if "error" in r:
            print(f"{r['name']:34} {r['error']}")
            continue
        print(f"{r['name']:34} {r['processes']:5} {r['rss_kb']:9} {r['anon_kb']:10} {r['file_kb']:10} "
              f"{r['wakeups_per_s']:9} {r.get('ready_ms', ''):>8}")
        if r.get("stored_reports"):
            print(f"{'':34} with {r['stored_reports']} stored (open) reports; VmRSS after `lifeline report list`: "
                  f"{r['rss_after_list_kb']} kB, 12 s later {r['rss_after_list_settled_kb']} kB")
    for r in rows:
        if r.get("after_pdf"):
            a_ = r["after_pdf"]
            print(f"\n{r['name']} after its first PDF (a printable record of {a_['pdf_bytes']} bytes): "
                  f"VmRSS {a_['rss_kb']} kB, RssAnon {a_['anon_kb']} kB, {a_['libraries_mapped']} libraries mapped "
                  f"(at idle before it: {r['rss_kb']} kB, {r['anon_kb']} kB, {r['libraries_mapped']})")
    for r in rows:
        if r.get("libraries"):
            print(f"\n{r['name']}, by what its mapped files serve: resident kB (private kB)")
            for group, (rss, anon) in r["libraries"]:
                print(f"  {rss:6} ({anon:4})  {group}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
