# Sourced by both launchers (scripts/pyspy and the installed bin/pyspy): sets jvm_options to the
# JVM flags for the pyspy command line "$@".
#
# The serial collector suits one sampling thread. dump is over before most methods repay
# compiling them: C1 alone, with higher thresholds. A blocking recording (the default) also keeps
# to C1: C2's compilations come in bursts of milliseconds, and one that lands while the target is
# stopped (or on the CPU it left) keeps it stopped that much longer. A --nonblocking recording
# never stops the target, and C2 gives it more samples a second at the highest rates. A small
# initial heap keeps a long recording's few live MiB in a small young generation instead of
# letting garbage fill a large one (docs/performance.md has the figures for each).
# No CDS log lines, ever: a warning about an unusable archive is no business of pyspy's user.
jvm_options=(-XX:+UseSerialGC -XX:-UsePerfData -Xss16m -Xms16m -Xlog:cds=off -Xlog:cds+dynamic=off)
case "${1:-}" in
  dump) jvm_options+=(-XX:TieredStopAtLevel=1 -XX:CompileThresholdScaling=5) ;;
  record|top)
    jit=(-XX:TieredStopAtLevel=1)
    for arg in "${@:2}"; do
      [[ "$arg" == -- ]] && break # the profiled command's own arguments follow
      [[ "$arg" == --nonblocking ]] && jit=()
    done
    jvm_options+=(${jit[@]+"${jit[@]}"}) ;;
esac
