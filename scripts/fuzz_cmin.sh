#!/usr/bin/env bash
# make fuzz-cmin [CAMPAIGN=results/fuzz/STAMP]: merge a campaign's inputs
# (default: the latest) with corpus/<target>/ and write back the minimized
# set: afl-cmin.bash for AFL++ runs (the driver binary must get @@: on
# stdin it sees no input), libFuzzer -merge=1 otherwise.
set -u
. "$(dirname "$0")/fuzz_lib.sh"
CAMPAIGN=${CAMPAIGN:-results/fuzz/latest}
[ -d "$CAMPAIGN" ] || die "CAMPAIGN=$CAMPAIGN: no such campaign folder (make fuzz first, or CAMPAIGN=results/fuzz/STAMP)"
ls -d "$CAMPAIGN"/*/seeds > /dev/null 2>&1 ||
	die "CAMPAIGN=$CAMPAIGN: not a campaign folder (no <target>/seeds inside; make fuzz writes results/fuzz/STAMP)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in $TARGETS; do
	[ -d "$CAMPAIGN/$t" ] || continue
	before=$(ls corpus/"$t" | wc -l)
	mkdir -p "$tmp/$t/in" "$tmp/$t/out"
	if ls -d "$CAMPAIGN/$t"/sync/*/queue > /dev/null 2>&1; then
		cp corpus/"$t"/* "$tmp/$t/in/"
		for q in "$CAMPAIGN/$t"/sync/*/queue; do
			for f in "$q"/id*; do
				[ -f "$f" ] && cp "$f" "$tmp/$t/in/$(basename "$(dirname "$q")")-$(sha1sum < "$f" | cut -c1-16)"
			done
		done
		ASAN_OPTIONS=abort_on_error=1:symbolize=0 afl-cmin.bash -i "$tmp/$t/in" -o "$tmp/$t/out" -m none -t 20000 -- "$FUZZ_DIR/afl/$t" @@ \
			> "$tmp/$t/log" 2>&1 || { cat "$tmp/$t/log"; die "$t: afl-cmin.bash failed"; }
	else
		"$FUZZ_DIR/libfuzzer/$t" -merge=1 -timeout=30 -rss_limit_mb=4096 "$tmp/$t/out" \
			corpus/"$t" "$CAMPAIGN/$t/seeds" > "$tmp/$t/log" 2>&1 ||
			{ tail "$tmp/$t/log"; die "$t: libFuzzer -merge=1 failed"; }
	fi
	[ "$(ls "$tmp/$t/out" | wc -l)" -gt 0 ] || die "$t: the merge kept nothing"
	rm -f corpus/"$t"/*
	cp "$tmp/$t/out"/* corpus/"$t"/
	echo "fuzz-cmin $t: $before inputs before, $(ls corpus/"$t" | wc -l) after"
done
