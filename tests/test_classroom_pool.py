"""The class's worker processes end with the run, whatever state a Ctrl-C left them in
(grader/classroom/pool.py). Each case runs in a fresh interpreter: the fork server is
per process, and a test must not stop the one of the worker running it."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str, tmp_path: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """`code` as a script's main (a fork server's worker imports the script's functions
    from its file)."""
    script = tmp_path / "case.py"
    script.write_text(textwrap.dedent(code))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_a_worker_left_running_does_not_keep_the_run_from_ending(tmp_path):
    """A worker the pool never stopped (the first Ctrl-C landed before anything could stop
    it) holds the fork server's pipe: ending the helpers kills it and returns, and neither
    it nor the fork server is left."""
    done = _run("""
        import multiprocessing, os, time
        from multiprocessing import forkserver
        from grader.classroom.pool import alive, end_helpers
        worker = multiprocessing.get_context("forkserver").Process(target=time.sleep,
                                                                   args=(600,))
        worker.start()
        server = forkserver._forkserver._forkserver_pid
        start = time.monotonic()
        end_helpers(within=20)
        print(round(time.monotonic() - start, 1), alive(worker.pid), alive(server))
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    seconds, worker_alive, server_alive = done.stdout.split()
    assert (worker_alive, server_alive) == ("False", "False")
    assert float(seconds) < 10  # killed, not waited for until the bound


def test_a_fork_server_that_will_not_stop_is_killed_within_the_bound(tmp_path):
    """Something else holds the fork server's "alive" pipe (here: a grandchild of a worker
    that escaped the kill): the server is killed after `within` seconds, not waited for."""
    done = _run("""
        import multiprocessing, os, signal, time
        from multiprocessing import forkserver
        from grader.classroom.pool import alive, end_helpers

        def holder():  # a process of its own that keeps every inherited descriptor
            pid = os.fork()
            if pid == 0:
                os.setsid()
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):  # not the test's pipes: only the fork server's
                    os.dup2(null, fd)
                time.sleep(120)
                os._exit(0)
            with open("holder.pid", "w") as f:
                f.write(str(pid))
            os._exit(0)

        if __name__ == "__main__":
            worker = multiprocessing.get_context("forkserver").Process(target=holder)
            worker.start()
            worker.join()
            assert worker.exitcode == 0
            server = forkserver._forkserver._forkserver_pid
            start = time.monotonic()
            end_helpers(within=2)
            print(round(time.monotonic() - start, 1), alive(server))
            os.kill(int(open("holder.pid").read()), signal.SIGKILL)
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    seconds, server_alive = done.stdout.split()
    assert server_alive == "False"
    assert 1.5 < float(seconds) < 15


def test_after_the_first_ctrl_c_the_second_exits_at_once_wherever_the_first_landed(tmp_path):
    """The first press raises KeyboardInterrupt in code that is not yet (or no longer)
    inside the pool's own handling; the second, during the clean-up, ends the process."""
    done = _run("""
        import os, signal, time
        from grader.classroom.pool import second_ctrl_c_exits
        before = signal.getsignal(signal.SIGINT)
        with second_ctrl_c_exits():
            pass
        assert signal.getsignal(signal.SIGINT) is before  # no press: as it was
        try:
            with second_ctrl_c_exits():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(5)
        except KeyboardInterrupt:
            print("first", flush=True)
        os.kill(os.getpid(), signal.SIGINT)  # while "cleaning up"
        time.sleep(5)
        print("never")
    """, tmp_path)
    assert done.returncode == 130, done.stderr
    assert done.stdout.split() == ["first"]
