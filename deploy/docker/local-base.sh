#!/bin/sh
# Makes localhost/argus-base:bookworm, the Debian base of the images where no registry is
# reachable: a minbase bookworm from the Debian mirror (mmdebstrap, as root) imported into podman.
# It has what bookworm-slim has (docs, man pages and translations left out), plus tini. Kept once
# made; --rebuild makes it again (e.g. for Debian's security updates).
#
#   deploy/docker/local-base.sh [--rebuild]
#
# Needs: apt-get install podman mmdebstrap. ARGUS_DEBIAN_MIRROR overrides the mirror.
set -eu
image=localhost/argus-base:bookworm
if [ "${1:-}" != "--rebuild" ] && podman image exists "$image"; then
  echo "$image exists (--rebuild to make it again)"
  exit 0
fi
for tool in mmdebstrap podman; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install -y podman mmdebstrap" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The merged-usr hook instead of the usrmerge package, which would pull perl into the image.
mmdebstrap --variant=minbase --include=tini \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  bookworm "$work/rootfs.tar" ${ARGUS_DEBIAN_MIRROR:+"$ARGUS_DEBIAN_MIRROR"}
podman import --change 'CMD ["bash"]' "$work/rootfs.tar" "$image"
echo "made $image"
