#!/usr/bin/env bash
# capture_vmalloc_trace.sh [-o DIR] [SECONDS | -- COMMAND...]  (as root)
#
# Records a real kernel's vmalloc decisions for `vmaplab kernel-replay`:
# /proc/vmallocinfo with real addresses, the tracepoints
# vmalloc/alloc_vmap_area, free_vmap_area_noflush and purge_vmap_area_lazy
# while COMMAND runs (or for SECONDS; with neither, the default workload
# scripts/capture_workload.py for 30 s), then /proc/vmallocinfo again.
# Tracing brackets both snapshots, and trace markers bracket each read.
# Writes DIR (default ./vmalloc-capture-<UTC stamp>): machine.txt,
# trace.txt.xz, vmallocinfo.before.xz, vmallocinfo.after.xz, README.md;
# see docs/capture.md.
#
# The events are recorded in a tracefs instance of their own, so the global
# trace buffer, its events and settings are never touched; the instance is
# removed afterwards.  kptr_restrict is 1 during the capture and restored,
# also on error, Ctrl-C or TERM.  CAPTURE_BUFFER_KB: ring buffer per CPU
# in KiB (default 16384).  CAPTURE_SETTLE: seconds traced after COMMAND
# ends (default 1), so that the frees the kernel defers past its exit (RCU,
# workqueues) are recorded too.
#
# Exit status: 0 capture complete; 1 written but events or markers were lost
# (raise CAPTURE_BUFFER_KB); 2 bad usage or no capture possible (not root, no
# tracefs or events); 130/143 interrupted (nothing written).
set -u
prog=${0##*/}
here=$(dirname "$0")
TRACEFS=/sys/kernel/tracing
KPTR=/proc/sys/kernel/kptr_restrict
EVENTS="alloc_vmap_area free_vmap_area_noflush purge_vmap_area_lazy"
BUFFER_KB=${CAPTURE_BUFFER_KB:-16384}
SETTLE=${CAPTURE_SETTLE:-1}
DEFAULT_SECONDS=30

usage() {
	echo "usage: $prog [-o DIR] [SECONDS | -- COMMAND...]   (as root)" >&2
	echo "  records vmalloc events while COMMAND runs or for SECONDS" >&2
	echo "  (neither: scripts/capture_workload.py for $DEFAULT_SECONDS s); see docs/capture.md" >&2
	exit 2
}
die() { echo "$prog: $*" >&2; exit 2; }
warn() { echo "$prog: warning: $*" >&2; }

out='' seconds=''
while [ $# -gt 0 ]; do
	case $1 in
	-o) [ -n "${2:-}" ] || die "-o needs a directory"
	    out=$2; shift 2 ;;
	-h|--help) usage ;;
	--) shift; [ $# -gt 0 ] || die "-- needs a command"; break ;;
	-*) die "unknown option '$1' (try -h)" ;;
	*) [ $# -eq 1 ] || die "give SECONDS or -- COMMAND..., not both ('$*')"
	   [[ $1 =~ ^[1-9][0-9]{0,5}$ ]] ||
		die "SECONDS must be a whole number from 1 to 999999, not '$1'"
	   seconds=$1; shift ;;
	esac
done
[[ $BUFFER_KB =~ ^[1-9][0-9]{0,7}$ ]] ||
	die "CAPTURE_BUFFER_KB must be a positive number of KiB, not '$BUFFER_KB'"
[[ $SETTLE =~ ^[0-9]{1,3}$ ]] ||
	die "CAPTURE_SETTLE must be a whole number of seconds, not '$SETTLE'"
if [ -z "$seconds" ] && [ $# -eq 0 ]; then
	set -- python3 "$here/capture_workload.py" "$DEFAULT_SECONDS"
	echo "$prog: no SECONDS or COMMAND: running the default workload: $*" >&2
fi
[ "$(id -u)" = 0 ] || die "must run as root (tracefs, kptr_restrict, real addresses in /proc/vmallocinfo)"
out=${out:-./vmalloc-capture-$(date -u +%Y%m%dT%H%M%SZ)}
out=${out%/}
tmp=$out.tmp
[ ! -e "$out" ] || die "$out already exists"
[ ! -e "$tmp" ] || die "$tmp exists (left by an interrupted capture?): remove it"
for tool in xz flock mountpoint; do
	command -v $tool > /dev/null || die "needs $tool"
done

# One capture at a time: kptr_restrict is global.
lockdir=/run/lock
[ -d $lockdir ] || lockdir=/tmp
exec 9> $lockdir/vmaplab-capture.lock
flock -n 9 || die "another capture is running"

mounted='' inst='' old_kptr='' cmd='' done=''
restore() {
	if [ -n "$inst" ]; then
		echo 0 > "$inst/tracing_on"
		for e in $EVENTS; do
			echo 0 > "$inst/events/vmalloc/$e/enable" 2>/dev/null
		done
		rmdir "$inst" || warn "could not remove the tracefs instance $inst"
		inst=
	fi
	if [ -n "$old_kptr" ]; then
		echo "$old_kptr" > "$KPTR" || warn "could not restore kptr_restrict=$old_kptr"
		old_kptr=
	fi
	if [ -n "$mounted" ]; then
		umount "$TRACEFS" || warn "could not unmount $TRACEFS"
		mounted=
	fi
}
# shellcheck disable=SC2317  # called by the EXIT trap
on_exit() {
	local status=$?
	trap '' INT TERM HUP	# a second signal must not cut the clean-up short
	if [ -n "$cmd" ]; then	# interrupted while COMMAND runs: stop its group
		kill -TERM -- -"$cmd" 2>/dev/null
		wait "$cmd" 2>/dev/null
	fi
	restore
	[ -n "$done" ] || rm -rf "$tmp"
	[ "$status" -lt 128 ] || echo "$prog: interrupted: nothing written; settings restored" >&2
	exit "$status"
}
trap on_exit EXIT

mark() {
	echo "vmaplab-capture: $1" > "$inst/trace_marker" ||
		die "cannot write to $inst/trace_marker"
}
# /proc/vmallocinfo into $tmp/vmallocinfo.$1 between two markers.
snapshot() {
	mark "$1-begin"
	cat /proc/vmallocinfo > "$tmp/vmallocinfo.$1" || die "cannot read /proc/vmallocinfo"
	mark "$1-end"
}
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if ! mountpoint -q "$TRACEFS"; then
	mount -t tracefs nodev "$TRACEFS" || die "cannot mount tracefs at $TRACEFS"
	mounted=1
fi
[ -d "$TRACEFS/events/vmalloc/alloc_vmap_area" ] ||
	die "this kernel has no vmalloc tracepoints ($TRACEFS/events/vmalloc)"
old_kptr=$(cat "$KPTR") || die "cannot read $KPTR"
echo 1 > "$KPTR" || die "cannot set $KPTR"

inst=$TRACEFS/instances/vmaplab-capture.$$
mkdir "$inst" || die "cannot create the tracefs instance $inst"
echo 0 > "$inst/tracing_on"
echo "$BUFFER_KB" > "$inst/buffer_size_kb" ||
	die "cannot set a $BUFFER_KB KiB buffer per CPU (CAPTURE_BUFFER_KB)"
for e in $EVENTS; do
	echo 1 > "$inst/events/vmalloc/$e/enable" || die "cannot enable vmalloc/$e"
done
: > "$inst/trace"
mkdir -p "$tmp" || die "cannot create $tmp"

# Tracing runs from before the "before" snapshot to after the "after" one,
# and a marker brackets each snapshot read: no event falls between a
# snapshot and the trace, and the replay knows which events a read may
# or may not have seen (docs/capture.md, "Markers").
echo 1 > "$inst/tracing_on"
snapshot before
start=$(date +%s.%N) start_utc=$(date -u '+%F %T UTC')
[ -z "$seconds" ] || set -- sleep "$seconds"
set -m				# own process group, so that it can be stopped whole
"$@" & cmd=$!
set +m
wait "$cmd"
cmd_status=$? cmd=
[ -n "$seconds" ] || sleep "$SETTLE"
end=$(date +%s.%N)
snapshot after
echo 0 > "$inst/tracing_on"
cat "$inst/trace" > "$tmp/trace.txt" || die "cannot read $inst/trace"
overruns=$(cat "$inst"/per_cpu/cpu*/stats |
	awk '/^(overrun|dropped events):/ { n += $NF } END { print n + 0 }')
restore

{ uname -a; nproc; date -u; } > "$tmp/machine.txt"
read -r in_buffer written < <(sed -n '1,5s/.*entries-in-buffer\/entries-written: \([0-9]*\)\/\([0-9]*\).*/\1 \2/p' "$tmp/trace.txt")
read -r allocs failed frees purges marks < <(awk '
	/: alloc_vmap_area: / { a++; f += /failed=1$/ }
	/: free_vmap_area_noflush: / { fr++ }
	/: purge_vmap_area_lazy: / { p++ }
	/: tracing_mark_write: vmaplab-capture: / { m++ }
	END { print a + 0, f + 0, fr + 0, p + 0, m + 0 }' "$tmp/trace.txt")
lost=0
[ "$marks" = 4 ] || { warn "the trace holds $marks of the 4 snapshot markers"; lost=1; }
if [ -z "${in_buffer:-}" ]; then
	warn "no entries-in-buffer/entries-written header in the trace"; lost=1
elif [ "$in_buffer" != "$written" ] || [ "$overruns" != 0 ]; then
	warn "events were lost: $in_buffer of $written in the buffer, $overruns overrun or dropped; raise CAPTURE_BUFFER_KB (now $BUFFER_KB)"
	lost=1
fi
[ "$cmd_status" = 0 ] || warn "the command exited with status $cmd_status (capture kept)"
duration=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
what="$*"
[ -z "$seconds" ] || what="$what (whatever the system did meanwhile)"
cat > "$tmp/README.md" <<EOF
# vmalloc capture: $(uname -sr), $(uname -m), $(nproc) CPUs

Made by \`scripts/capture_vmalloc_trace.sh\` (docs/capture.md) on $start_utc.

- command: \`$what\` (exit status $cmd_status)
- traced for $duration s$([ -n "$seconds" ] || echo " (the command, then $SETTLE s more)"); ring buffer $BUFFER_KB KiB per CPU
- CPUs: possible $(cat /sys/devices/system/cpu/possible), online $(cat /sys/devices/system/cpu/online)
- events: $allocs \`alloc_vmap_area\` ($failed failed), $frees \`free_vmap_area_noflush\`, $purges \`purge_vmap_area_lazy\`
- entries-in-buffer/entries-written: ${in_buffer:-?}/${written:-?}; overrun or dropped: $overruns; $([ $lost = 0 ] && echo "no events lost" || echo "EVENTS LOST")

| file | what it is |
|---|---|
| \`machine.txt\` | \`uname -a\`, number of CPUs, date of the capture |
| \`vmallocinfo.before.xz\` | \`/proc/vmallocinfo\` with real addresses (kptr_restrict=1, read as root), read just after tracing started |
| \`trace.txt.xz\` | the tracefs \`trace\` file: the three \`vmalloc\` events for the whole capture, and the markers \`vmaplab-capture: before-begin\`, \`before-end\`, \`after-begin\`, \`after-end\` around the two snapshot reads |
| \`vmallocinfo.after.xz\` | \`/proc/vmallocinfo\`, read just before tracing stopped |
EOF
xz -6 "$tmp/trace.txt" "$tmp/vmallocinfo.before" "$tmp/vmallocinfo.after" ||
	die "xz failed"
mv "$tmp" "$out" || die "cannot rename $tmp to $out"
done=1
echo "$prog: $out: $allocs allocs, $frees frees, $purges purges in $duration s$([ $lost = 0 ] || echo ', EVENTS LOST')"
exit $lost
