#!/bin/sh
# tests/count-results.sh DIR...: counts passed and failed checks in the test
# logs under each DIR and prints "N passed, N failed".  A Check binary's log
# gives its checks; a shell test's .trs gives one result.  A binary that died
# before Check printed its summary counts as one failure.
set -u
passed=0
failed=0
skipped=""
for dir in "$@"; do
  for trs in $(find "$dir" -name '*.trs' 2>/dev/null | sort); do
    log=${trs%.trs}.log
    summary=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" 2>/dev/null | tail -n 1)
    if [ -n "$summary" ]; then
      n=$(echo "$summary" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
      f1=$(echo "$summary" | sed -E 's/.*Failures: ([0-9]+),.*/\1/')
      f2=$(echo "$summary" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
      f=$((f1 + f2))
      passed=$((passed + n - f))
      failed=$((failed + f))
      # A sanitizer report after a clean Check summary still fails the binary.
      grep -q '^:test-result: PASS' "$trs" || failed=$((failed + 1))
    elif grep -qE '^[0-9]+ checks passed, [0-9]+ failed$' "$log" 2>/dev/null; then
      # A shell test reports its own checks.
      line=$(grep -E '^[0-9]+ checks passed, [0-9]+ failed$' "$log" | tail -n 1)
      p=${line%% *}
      f=$(echo "$line" | sed -E 's/.*, ([0-9]+) failed/\1/')
      passed=$((passed + p))
      failed=$((failed + f))
      grep -q '^:test-result: PASS' "$trs" || [ "$f" -gt 0 ] || failed=$((failed + 1))
    else
      p=$(grep -c '^:test-result: PASS' "$trs")
      s=$(grep -c '^:test-result: SKIP' "$trs")
      [ "$s" -eq 0 ] || skipped="$skipped ${trs%.trs}"
      t=$(grep -c '^:test-result:' "$trs")
      passed=$((passed + p))
      failed=$((failed + t - p - s))
    fi
  done
done
# Skipped tests are neither passed nor failed: say which.
n=$(echo "$skipped" | wc -w)
echo "$n skipped${skipped:+:$skipped}"
echo "$passed passed, $failed failed"
