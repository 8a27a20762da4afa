#!/bin/sh
# install_story.sh's part inside the overlay chroot. Prints PASS or FAIL: why.
set -u
S=/story
SOCK=/run/lifeline/lifelined.sock
PID=
fail() {
  echo "FAIL: $*"
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  for f in "$S"/*.log; do echo "== $f"; tail -n 20 "$f"; done
  exit 1
}
start() {  # as systemd would: the runtime directory, then lifelined as lifeline
  install -d -o lifeline -g lifeline -m 0750 /run/lifeline
  # setpriv execs (runuser would stay as the parent and answer SIGTERM itself).
  setpriv --reuid=lifeline --regid=lifeline --init-groups /usr/bin/lifelined --config /etc/lifeline/lifeline.toml \
    >>"$S/daemon.log" 2>&1 &
  PID=$!
  i=0
  until curl -s --unix-socket "$SOCK" http://lifelined/v1/health >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 200 ] || fail "lifelined did not answer on $SOCK"
    kill -0 "$PID" 2>/dev/null || fail "lifelined exited"
    sleep 0.05
  done
}
stop() { kill -TERM "$PID"; wait "$PID" || fail "lifelined did not stop cleanly"; PID=; }

dpkg -i "$S/old.deb" >"$S/dpkg-install.log" 2>&1 || fail "dpkg -i"
getent passwd lifeline >/dev/null || fail "no lifeline user"
id -nG lifeline | tr ' ' '\n' | grep -qx dialout || fail "lifeline is not in dialout"
[ "$(stat -c '%a %U' /var/lib/lifeline)" = "700 lifeline" ] || fail "state dir is $(stat -c '%a %U' /var/lib/lifeline)"
[ -s /var/lib/lifeline/journal.key ] || fail "no journal key after install"
[ "$(stat -c '%a %U' /var/lib/lifeline/journal.key)" = "600 lifeline" ] || fail "journal key is $(stat -c '%a %U' /var/lib/lifeline/journal.key)"
[ "$(stat -c '%a %G' /etc/lifeline/lifeline.toml)" = "640 lifeline" ] || fail "config is $(stat -c '%a %G' /etc/lifeline/lifeline.toml)"
KEYHEX=$(od -An -tx1 /var/lib/lifeline/journal.key | tr -d ' \n')
if grep -qi "$KEYHEX" "$S/dpkg-install.log" || grep -qaF -f /var/lib/lifeline/journal.key "$S/dpkg-install.log" 2>/dev/null; then
  fail "the journal key appears in dpkg's output"
fi

start
ID=$(sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' /usr/share/doc/lifeline/examples/sample-report.json | head -n1)
CODE=$(curl -s -o "$S/post.json" -w '%{http_code}' --unix-socket "$SOCK" -H 'content-type: application/json' \
  --data-binary @/usr/share/doc/lifeline/examples/sample-report.json http://lifelined/v1/reports)
[ "$CODE" = 201 ] || fail "filing a report gave $CODE: $(cat "$S/post.json")"
# Its printable record, made by the installed PDF helper (/usr/lib/lifeline/lifeline-pdf).
CODE=$(curl -s -o "$S/record.pdf" -w '%{http_code}' --unix-socket "$SOCK" "http://lifelined/v1/reports/$ID/record.pdf")
[ "$CODE" = 200 ] && [ "$(head -c 5 "$S/record.pdf")" = "%PDF-" ] ||
  fail "the installed lifelined made no record PDF ($CODE): $(head -c 300 "$S/record.pdf")"
curl -s --unix-socket "$SOCK" http://lifelined/v1/drill-scenarios >"$S/scenarios.json"
grep -q '"network-loss"' "$S/scenarios.json" || fail "the packaged drill scenarios are not offered: $(head -c 300 "$S/scenarios.json")"
# The agency's view, as its unit would run it (StateDirectory=lifeline-fleet):
# the shipped configuration opens its store as the lifeline user.
[ "$(stat -c '%a %G' /etc/lifeline/fleet.toml)" = "640 lifeline" ] || fail "fleet config is $(stat -c '%a %G' /etc/lifeline/fleet.toml)"
install -d -o lifeline -g lifeline -m 0700 /var/lib/lifeline-fleet
setpriv --reuid=lifeline --regid=lifeline --init-groups /usr/bin/lifeline-fleet --config /etc/lifeline/fleet.toml status \
  >"$S/fleet-status.txt" 2>&1 || fail "lifeline-fleet status: $(cat "$S/fleet-status.txt")"
[ -f /var/lib/lifeline-fleet/fleet.db ] || fail "lifeline-fleet made no store"
stop

dpkg -i "$S/new.deb" >"$S/dpkg-upgrade.log" 2>&1 || fail "dpkg -i of the newer version"
[ "$(dpkg-query -W -f='${Version}' lifeline)" = 0.1.1 ] || fail "not upgraded"
start
CODE=$(curl -s -o "$S/get.json" -w '%{http_code}' --unix-socket "$SOCK" "http://lifelined/v1/reports/$ID")
[ "$CODE" = 200 ] || fail "the report is gone after the upgrade ($CODE)"
stop
lifeline journal verify >"$S/verify.log" 2>&1 || fail "journal verify after the upgrade"

dpkg -r lifeline >"$S/dpkg-remove.log" 2>&1 || fail "dpkg -r"
[ -f /var/lib/lifeline/lifeline.db ] && [ -f /var/lib/lifeline/journal.key ] || fail "remove deleted the state"
[ -f /etc/lifeline/lifeline.toml ] || fail "remove deleted the configuration"
[ ! -e /usr/bin/lifelined ] || fail "remove left the program"
dpkg -P lifeline >"$S/dpkg-purge.log" 2>&1 || fail "dpkg -P"
[ ! -e /var/lib/lifeline ] || fail "purge left the state"
[ ! -e /var/lib/lifeline-fleet ] || fail "purge left the fleet view's store"
[ ! -e /etc/lifeline ] || fail "purge left /etc/lifeline: $(find /etc/lifeline)"
echo PASS
