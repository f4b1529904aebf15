# bench/lib.sh: sourced by the shell benchmarks.  Timings are kept as
# "KEY SECONDS" lines in the file $times.
wall () { date +%s.%N; }
load () { awk '{ printf "load average %s %s %s", $1, $2, $3 }' /proc/loadavg 2>/dev/null || true; }
# record KEY T0 T1: appends the elapsed time T1 - T0 under KEY.
record () { echo "$1 $(awk -v a="$2" -v b="$3" 'BEGIN { print b - a }')" >>"$times"; }
# median KEY: the median of the times recorded under KEY.
median () {
  awk -v k="$1" '$1 == k { print $2 }' "$times" | sort -g |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
