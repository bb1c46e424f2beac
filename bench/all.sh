#!/usr/bin/env bash
# Runs every benchmark of BENCHMARKS.md in one go and keeps each one's JSON and text output in
# a directory (default bench/out/DATE). Run it on a quiet machine: other load skews the figures.
#
# usage: bench/all.sh [OUTDIR]      env: PG=postgres://… to also measure PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/out/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
go build -o "$out/epilogue" ./cmd/epilogue
e="$out/epilogue"
pg=${PG:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
run() { # name, then the command
	local name=$1; shift
	echo "== $name: $*" >&2
	"$@" >"$out/$name.out" 2>"$out/$name.err" || { echo "   failed: see $out/$name.err" >&2; return 0; }
	cat "$out/$name.out"
}
{
	uname -a; nproc; date -u
	run decide-prior "$e" bench decide --scorer prior
	run decide-model "$e" bench decide --scorer model
	run ingest-sqlite "$e" bench ingest
	run ingest-postgres "$e" bench ingest --db "$pg"
	run learn "$e" bench learn
	run journeys "$e" bench journeys
	run journeys-crash "$e" bench journeys --crash
	for s in 1 2 3; do run "sim-seed$s" "$e" sim --policy all --seed "$s"; done
	for d in random/men random/women bts/men bts/women; do
		[ -d "../shared/data/obd/$d" ] && run "obd-${d/\//-}" "$e" eval obd --data "../shared/data/obd/$d"
	done
} | tee "$out/summary.txt"
echo "results in $out" >&2
