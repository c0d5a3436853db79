#!/usr/bin/env bash
# Reproduces the README's performance table: postmortem against ripgrep,
# lnav and GoAccess on the same generated corpus, with wall time (hyperfine)
# and peak RSS (GNU time).
#
#   scripts/bench-compare.sh [SIZE] [DIR]     # SIZE like 1G (default), DIR default /tmp/pm-bench-SIZE
#
# Needs: hyperfine, ripgrep, lnav, goaccess, GNU time (Debian packages of
# those names plus `time`); missing tools are skipped with a note.
set -euo pipefail
size=${1:-1G}
dir=${2:-/tmp/pm-bench-$size}
cd "$(dirname "$0")/.."

cargo build --release -q --workspace --bins
pm=target/release/postmortem
gen=target/release/postmortem-gen

if [ ! -f "$dir/access.log" ]; then
  echo "== generating $size corpus in $dir"
  "$gen" bench --out "$dir" --size "$size"
fi
access="$dir/access.log"
bytes=$(stat -c %s "$access")
total=$(du -cb "$dir"/*.log | tail -1 | cut -f1)
echo "== corpus: $(numfmt --to=iec "$total") ($(numfmt --to=iec "$bytes") access.log, $(wc -l < "$access") lines)"
cat "$dir"/*.log > /dev/null   # into the page cache

have() { command -v "$1" > /dev/null 2>&1; }
runs=${RUNS:-5}

if have hyperfine; then
  cmds=(-n postmortem "$pm timeline --format json -q $dir > /dev/null")
  have rg && cmds+=(-n rg "rg -c '\" 50[234] ' $access")
  hyperfine --warmup 1 --runs "$runs" --export-markdown /tmp/pm-bench.md "${cmds[@]}"
  # lnav and GoAccess are far slower: one run each.
  slow=()
  have lnav && slow+=(-n lnav "lnav -n -c ';SELECT count(*) FROM access_log WHERE sc_status >= 500' $access > /dev/null")
  have goaccess && slow+=(-n goaccess "goaccess $access --log-format=COMBINED -o /tmp/pm-goaccess.json > /dev/null 2>&1")
  if [ ${#slow[@]} -gt 0 ]; then
    hyperfine --runs 1 --export-markdown /tmp/pm-bench-slow.md "${slow[@]}" || true
  fi
else
  echo "hyperfine not installed: apt-get install hyperfine"
fi

echo "== peak RSS (GNU time -v)"
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident/ {gsub(/ /,"",$2); printf "%.0f MiB\n", $2/1024}'; }
printf 'postmortem: '; rss "$pm" timeline --format json -q "$dir"
have rg && { printf 'rg:         '; rss rg -c '" 50[234] ' "$access"; }
echo "== throughput"
secs=$( { /usr/bin/time -f %e "$pm" timeline --format json -q "$dir" > /dev/null; } 2>&1 )
echo "postmortem: $(awk -v b="$total" -v s="$secs" 'BEGIN {printf "%.0f MB/s (%.2f s)", b/1e6/s, s}')"
