#!/bin/sh
# Generates the TypeScript of proto/ into src/gen. It generates aside and replaces src/gen only when
# the output differs, so running it (every `pnpm bench`, `pnpm test`) never pulls the generated
# modules from under a process that is importing them.
set -eu
cd "$(dirname "$0")/../../../proto"
aside=$(mktemp -d)
trap 'rm -rf "$aside"' EXIT
# buf puts each plugin's `out` (../packages/proto/src/gen) under -o: $aside/root/packages/proto/src/gen.
buf generate -o "$aside/root/proto"
fresh="$aside/root/packages/proto/src/gen"
target=../packages/proto/src/gen
if ! diff -r -q "$fresh" "$target" >/dev/null 2>&1; then
  rm -rf "$target.old"
  [ -d "$target" ] && mv "$target" "$target.old"
  mv "$fresh" "$target"
  rm -rf "$target.old"
fi
buf build -o "$aside/descriptor.binpb"
cmp -s "$aside/descriptor.binpb" ../packages/proto/descriptor.binpb || mv "$aside/descriptor.binpb" ../packages/proto/descriptor.binpb
