#!/bin/sh
# A pretend worker: reports a finished "job" every few seconds, on stdout, and a
# note on stderr now and then. Run by [program:worker] in ../supervisord.conf,
# which starts two copies and tells each its number in WORKER_ID.
id="${WORKER_ID:-0}"
n=0
echo "worker $id: started (pid $$)"
while true
do
    sleep 3
    n=$((n + 1))
    echo "worker $id: finished job $n"
    if [ $((n % 5)) -eq 0 ]; then
        echo "worker $id: $n jobs done so far" >&2
    fi
done
