#!/bin/sh
# Prints the time every 2 seconds. Run by [program:ticker] in ../supervisord.conf.
while true
do
    echo "tick: $(date '+%Y-%m-%d %H:%M:%S')"
    sleep 2
done
