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
# (then also VmRSS after one `lifeline report list` of them all); they are
# aware of just now unless --overdue, when the engine escalates them all.
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
    return int(data.split(b" ", 2)[1])


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
            if http_unix(sock, "POST", "/v1/reports", json.dumps(sample).encode()) != 201:
                sys.exit("a report was refused")
        stop(p)
        p, ready_ms = start()
    r = measure("lifelined" + (" (modem-sim)" if sms_device else " (embedded defaults)"), p.pid, idle)
    r["ready_ms"] = round(ready_ms, 1)
    r["stored_reports"] = reports
    if reports:
        # The second figure: resident memory after one full listing.
        cli = [BIN + "/tools/lifeline/lifeline"] + (["--config", config] if config else [])
        subprocess.run(cli + ["report", "list"], cwd=state, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        r["rss_after_list_kb"] = sum(status(p_).get("VmRSS", 0) for p_ in tree(p.pid))
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
                  f"{r['rss_after_list_kb']} kB")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
