#!/bin/sh
# The Done-when test of issue 18: every manifest `meshsim export` writes
# (k8s, flagger, argo-rollouts, sweep) for every shipped scenario validates
# against the npm schema packages (validate_manifests.mjs); the output is
# byte-identical when written twice; every timeline.sh parses and runs dry.
#   validate_exports.sh MESHSIM NODE_MODULES SCENARIOS_DIR OUT_DIR
# Exit 0 passed, 1 failed, 77 skipped (no node, or the packages missing).
set -u
MESHSIM=$1 NODE_MODULES=$2 SCENARIOS=$3 OUT=$4
HERE=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED: node not installed (apt-get install nodejs npm)"
  exit 77
fi
rm -rf "$OUT"
mkdir -p "$OUT"
failed=0
for scenario in "$SCENARIOS"/*.yaml; do
  name=$(basename "$scenario" .yaml)
  # bookinfo applies ../shared/testdata files: without them, say so and go on.
  if grep -q 'file: \.\./\.\./shared/' "$scenario" && [ ! -d "$(dirname "$scenario")/../../shared/testdata" ]; then
    echo "skipped $name: ../shared/testdata is absent"
    continue
  fi
  for run in a b; do
    d="$OUT/$run/$name"
    mkdir -p "$d"
    "$MESHSIM" export k8s "$scenario" -o "$d/k8s" --image registry.example/meshsim:test 2>"$d/stderr" &&
      "$MESHSIM" export flagger "$scenario" -o "$d/flagger.yaml" 2>>"$d/stderr" &&
      "$MESHSIM" export argo-rollouts "$scenario" -o "$d/argo-rollouts.yaml" 2>>"$d/stderr" &&
      "$MESHSIM" export sweep "$scenario" --seeds 3 -o "$d/sweep.yaml" 2>>"$d/stderr" ||
      { echo "FAILED: meshsim export of $name"; cat "$d/stderr"; failed=1; }
  done
  if ! diff -r -x stderr "$OUT/a/$name" "$OUT/b/$name" >/dev/null; then
    echo "FAILED: $name: two exports differ"; diff -r "$OUT/a/$name" "$OUT/b/$name" | head -20; failed=1
  fi
  script="$OUT/a/$name/k8s/timeline.sh"
  if ! sh -n "$script" || ! MESHSIM_DRY_RUN=1 "$script" >"$OUT/a/$name/timeline.txt" 2>&1; then
    echo "FAILED: $name: timeline.sh does not run dry"; cat "$OUT/a/$name/timeline.txt"; failed=1
  fi
done
node "$HERE/validate_manifests.mjs" "$NODE_MODULES" "$OUT/a"
rc=$?
[ $rc -eq 77 ] && exit 77
[ $rc -ne 0 ] && failed=1
exit $failed
