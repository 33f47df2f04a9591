# completion_tab.py OUT LINE SHELL [ARG...]: types LINE and one TAB into an
# interactive SHELL on a pseudo-terminal, as a user would, then Ctrl-T
# (which the shell's rc file binds to writing its line into OUT) until OUT
# holds a line other than LINE, or, when $TAB_RAN names a file, until that
# file exists (the completion ran but left the line as it was). Exit 0 when
# it got there within 20 s.
import os
import pty
import select
import signal
import sys
import time

out, line, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
ran = os.environ.get("TAB_RAN", "")
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)


def drain(seconds):
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                os.read(fd, 65536)
            except OSError:
                return


drain(1)
os.write(fd, line.encode() + b"\t")
done = False
end = time.time() + 20
while time.time() < end and not done:
    os.write(fd, b"\x14")
    drain(0.3)
    if os.path.exists(out):
        with open(out) as f:
            done = f.read() != line + "\n" or (ran and os.path.exists(ran))
        if not done:
            os.unlink(out)
os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
sys.exit(0 if done else 1)
