#!/usr/bin/env bash
# Include-direction check: a module under src/ includes only its own headers, the modules below it
# and the public API (docs/design/architecture.md, "Layers"). Test sources (*_test*, *test_util*)
# may also include the shared test helpers (tests/testutil). Exit 0 when every include is allowed;
# otherwise prints each offending line as file:line: include and exits 1.
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$root"

# Module -> the project include prefixes it may use besides its own and ziggydb/ (the public API).
declare -A allowed=(
  [util]=""
  [env]="util"
  [base]="util"
  [wal]="env util"
  [memtable]="base util"
  [table]="env util"
  [db]="table memtable wal base env util"
  [txn]="db table memtable wal base env util"
  [c]=""
  [backup]="db table memtable wal base env util"
)

modules_seen=0
violations=0
for dir in src/*/; do
  module="$(basename "$dir")"
  if [[ -z "${allowed[$module]+set}" ]]; then
    echo "check-layering: src/$module is not in the layer table of $0" >&2
    violations=$((violations + 1))
    continue
  fi
  modules_seen=$((modules_seen + 1))
  ok=" $module ziggydb ${allowed[$module]} "
  while IFS= read -r file; do
    test_file=0
    case "$(basename "$file")" in *_test* | *test_util*) test_file=1 ;; esac
    # Quoted includes of the form "prefix/name.h"; system (<...>) includes are not ours.
    while IFS=: read -r line prefix; do
      [[ -z "$prefix" ]] && continue
      if [[ "$ok" == *" $prefix "* ]]; then continue; fi
      if [[ $test_file == 1 && "$prefix" == "testutil" ]]; then continue; fi
      echo "$file:$line: src/$module may not include \"$prefix/...\""
      violations=$((violations + 1))
    done < <(grep -n -o -E '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[a-z_]+/' "$file" |
      sed -E 's/^([0-9]+):.*"([a-z_]+)\/$/\1:\2/')
  done < <(find "$dir" -type f \( -name '*.h' -o -name '*.cc' \) | sort)
done

if ((modules_seen == 0)); then
  echo "check-layering: no modules found under $root/src" >&2
  exit 1
fi
if ((violations > 0)); then
  echo "check-layering: $violations include(s) against the layer order" >&2
  exit 1
fi
echo "check-layering: $modules_seen modules, every include follows the layer order"
