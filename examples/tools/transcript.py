#!/usr/bin/env python3
"""Records a protocol conversation (docs/protocol.md) as it happens.

    verify check --impl 'exec:python3 examples/tools/transcript.py --log talk.jsonl -- ./my-impl' ...

sits between verify and the implementation, passing every line through unchanged and appending it to the log in
the order it was said: the hello, then each request followed by its answer. Every line is one JSON object, so the
log reads back as JSON lines (requests carry "call"; answers do not).
"""
import subprocess
import sys
import threading


def main(argv):
    if len(argv) < 4 or argv[1] != "--log" or argv[3] != "--":
        sys.stderr.write("usage: transcript.py --log FILE -- COMMAND [ARGS...]\n")
        return 2
    log = open(argv[2], "a", encoding="utf-8")
    lock = threading.Lock()
    child = subprocess.Popen(argv[4:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def record(line):
        with lock:
            log.write(line if line.endswith("\n") else line + "\n")
            log.flush()

    def answers():
        # The child's lines, in order, as verify reads them.
        for line in child.stdout:
            record(line)
            sys.stdout.write(line)
            sys.stdout.flush()
        sys.stdout.close()

    reader = threading.Thread(target=answers, daemon=True)
    reader.start()
    for line in sys.stdin:
        record(line)
        child.stdin.write(line)
        child.stdin.flush()
    child.stdin.close()
    reader.join()
    return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
