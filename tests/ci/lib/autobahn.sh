# Shared by the tests/ci scripts that run the Autobahn TestSuite (sourced, not run: the CI runs
# only tests/ci/*.sh). Expects `set -euo pipefail`, the repository root as the working directory
# and NAME set to the calling script's name for messages.

# ab_install: locate the shared Autobahn tools (a sibling `shared` folder of the clone, or
# SOCKWIRE_SHARED) and install them; AB is their directory afterwards. Fails loudly when absent.
ab_install() {
  local shared="${SOCKWIRE_SHARED:-$(pwd)/../shared}"
  AB="$shared/tools/autobahn"
  if [ ! -x "$AB/install.sh" ]; then
    echo "$NAME: Autobahn tools not found at $AB (the shared folder must sit next to the repo)" >&2
    exit 1
  fi
  "$AB/install.sh"
}

# free_port and wait_port come from the interop helpers.
. tests/interop/lib.sh

# ab_strict_check SUMMARY.json...: print each agent's verdicts; exit status 1 unless every case of
# every summary is OK or INFORMATIONAL and none is missing.
ab_strict_check() {
  python3 - "$NAME" "$@" <<'PY'
import json, sys
name, paths = sys.argv[1], sys.argv[2:]
passed = failed = 0
for path in paths:
    try:
        data = json.load(open(path))
    except Exception as e:
        print("%s: no summary at %s: %s" % (name, path, e))
        failed += 1
        continue
    for agent, s in data.items():
        v = s["by_verdict"]
        bad = v.get("FAILED", 0) + v.get("NON-STRICT", 0) + len(s.get("other_verdicts", [])) + s.get("missing", 0)
        bad += max(0, s.get("expected", 0) - s.get("cases", 0))
        print("%s: OK %d, NON-STRICT %d, INFORMATIONAL %d, UNIMPLEMENTED %d, FAILED %d, missing %d"
              % (agent, v.get("OK", 0), v.get("NON-STRICT", 0), v.get("INFORMATIONAL", 0),
                 v.get("UNIMPLEMENTED", 0), v.get("FAILED", 0), s.get("missing", 0)))
        if s.get("failed_cases"):
            print("  failed cases: %s" % ", ".join(s["failed_cases"]))
        passed += v.get("OK", 0) + v.get("INFORMATIONAL", 0)
        failed += bad
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
}
