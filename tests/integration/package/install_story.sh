#!/bin/sh
# The package's life on a box, for real but without touching this machine:
# the .deb of this tree and a rebuild of it with a newer version are
# installed with dpkg inside a chroot whose root is an overlay of this
# machine's / on a tmpfs (a private mount namespace; everything is gone when
# it ends). In it: dpkg -i (the lifeline user in dialout, the state directory
# 0700 with its journal key, no secret printed), lifelined started as the
# lifeline user from the installed files, a report filed, the upgrade (state
# kept and migrated, the report still there, the journal verifies), remove
# (state and configuration kept) and purge (both gone).
#   install_story.sh BUILD_DIR        exit 0 pass, 1 fail, 77 cannot run here
set -eu
B=$1
HERE=$(cd "$(dirname "$0")" && pwd)
# A skip, or a failure where every test must run (tests/support/skip.h).
skip() {
  echo "SKIP: $*"
  if [ -n "${LIFELINE_REQUIRE_ALL_TESTS:-}" ]; then exit 1; fi
  exit 77
}
if [ "$(id -u)" != 0 ]; then skip "needs root (mount namespace, overlay, chroot)"; fi
for tool in unshare cpack dpkg-deb curl setpriv; do
  command -v "$tool" >/dev/null || skip "no $tool"
done
W=$(mktemp -d /tmp/install-story.XXXXXX)
trap 'rm -rf "$W"' EXIT
cpack -G DEB --config "$B/CPackConfig.cmake" -B "$W/v1" >"$W/cpack1.log" 2>&1 || { cat "$W/cpack1.log"; exit 1; }
cpack -G DEB --config "$B/CPackConfig.cmake" -R 0.1.1 -B "$W/v2" >"$W/cpack2.log" 2>&1 || { cat "$W/cpack2.log"; exit 1; }
cp "$W"/v1/lifeline_*.deb "$W/old.deb"
cp "$W"/v2/lifeline_*.deb "$W/new.deb"
cp "$HERE/install_story_inside.sh" "$W/inside.sh"
unshare -m --propagation private true 2>/dev/null || skip "no mount namespace here"
unshare -m --propagation private sh -eu -c '
  W=$1
  mkdir -p "$W/ovl"
  mount -t tmpfs tmpfs "$W/ovl"
  mkdir -p "$W/ovl/upper" "$W/ovl/work" "$W/ovl/root"
  mount -t overlay overlay -o "lowerdir=/,upperdir=$W/ovl/upper,workdir=$W/ovl/work" "$W/ovl/root"
  mount --rbind /proc "$W/ovl/root/proc"
  mount --rbind /dev "$W/ovl/root/dev"
  mkdir -p "$W/ovl/root/story"
  mount --bind "$W" "$W/ovl/root/story"
  exec chroot "$W/ovl/root" sh /story/inside.sh
' sh "$W"
