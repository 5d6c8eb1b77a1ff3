# Sourced by both launchers (scripts/pyspy and the installed bin/pyspy): sets jvm_options to the
# JVM flags for the pyspy command line "$@".
#
# The serial collector suits one sampling thread. dump is over before most methods repay
# compiling them: C1 alone with higher thresholds saves ~15% of its CPU. A blocking recording (the
# default) also keeps to C1: C2's compilations come in bursts of milliseconds, and one that lands
# while the target is stopped (or on the CPU it left) keeps it stopped that much longer: C1 alone
# halves the time a 100/s recording stops a busy target. A --nonblocking recording never stops the
# target, and C2 gives it ~15% more samples a second at the highest rates.
# A small initial heap: a long recording's few live MiB are then collected in a small young
# generation instead of garbage filling a large one (RSS 57 MiB instead of 96+ after 40 s).
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
