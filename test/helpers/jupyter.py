"""Drives a Jupyter kernel with Debian's jupyter_client / nbclient for steplab's tests and bench.

Run with /usr/bin/python3 (the system Python that has python3-jupyter-client), not a pyenv one.
The kernelspec is found through JUPYTER_PATH, as Jupyter itself would find it.

  jupyter.py scenario KERNEL CELLS.json   -> JSON report of a scripted session (see run_scenario)
  jupyter.py script KERNEL ACTIONS.json   -> {"results": [...]}, one per action (see run_script)
  jupyter.py orphan KERNEL                -> {"kernel_pid": N} once the kernel is ready, then waits to be killed
  jupyter.py nbclient KERNEL IN.ipynb OUT.ipynb [--allow-errors]
  jupyter.py bench KERNEL CODE N          -> {"startup_ms": ..., "median_ms": ..., "samples_ms": [...]}

Every command prints one JSON document on stdout; diagnostics go to stderr.
"""
import json
import statistics
import sys
import time

import zmq
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

TIMEOUT = 120


def collect(kc, msg_id, timeout=TIMEOUT):
    """The reply to msg_id and the IOPub messages it caused, up to its idle status."""
    deadline = time.monotonic() + timeout
    reply = None
    while reply is None:
        msg = kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") == msg_id:
            reply = msg
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                break
            continue
        outputs.append({"msg_type": msg["msg_type"], "content": msg["content"]})
    return {"reply": reply["content"], "outputs": outputs}


def execute(kc, code, **kw):
    return collect(kc, kc.execute(code, **kw))


def start(kernel_name):
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=TIMEOUT)
    return km, kc


def stop(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=False)


def forged_execute(km, code):
    """Sends execute_request signed with the wrong key on a socket of its own; returns its msg_id."""
    info = km.get_connection_info()
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 1000
    sock.connect("%s://%s:%d" % (info["transport"], info["ip"], info["shell_port"]))
    forger = Session(key=b"not-the-kernel-key", username="mallory")
    msg = forger.send(sock, "execute_request", content={
        "code": code, "silent": False, "store_history": True,
        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True,
    })
    return msg["header"]["msg_id"], sock


def run_scenario(kernel_name, cells):
    """cells: {"ok": code, "error": code, "loop": code, "complete": {code, cursor}, "inspect": {...},
    "incomplete": code, "unstored": code, "forged": code}. Each key present is exercised
    ("unstored" runs with store_history=False)."""
    km, kc = start(kernel_name)
    report = {}
    try:
        kc.kernel_info()
        info = kc.get_shell_msg(timeout=TIMEOUT)
        report["kernel_info"] = info["content"]
        if "ok" in cells:
            report["ok"] = [execute(kc, code) for code in cells["ok"]]
        if "error" in cells:
            report["error"] = execute(kc, cells["error"], stop_on_error=False)
        if "loop" in cells:
            msg_id = kc.execute(cells["loop"], stop_on_error=False)
            # Interrupt only once the cell runs: its execute_input is on IOPub before the code starts.
            while True:
                m = kc.get_iopub_msg(timeout=TIMEOUT)
                if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "execute_input":
                    break
            time.sleep(0.5)
            t0 = time.monotonic()
            km.interrupt_kernel()
            result = collect(kc, msg_id, timeout=10)
            result["interrupt_ms"] = (time.monotonic() - t0) * 1000
            report["loop"] = result
            report["after_interrupt"] = execute(kc, cells["ok"][0]) if "ok" in cells else None
        if "complete" in cells:
            c = cells["complete"]
            report["complete"] = collect(kc, kc.complete(c["code"], c["cursor"]))["reply"]
        if "inspect" in cells:
            c = cells["inspect"]
            report["inspect"] = collect(kc, kc.inspect(c["code"], c["cursor"]))["reply"]
        if "incomplete" in cells:
            report["is_complete"] = {
                "incomplete": collect(kc, kc.is_complete(cells["incomplete"]))["reply"],
                "complete": collect(kc, kc.is_complete(cells["ok"][0]))["reply"] if "ok" in cells else None,
            }
        if "unstored" in cells:
            report["unstored"] = execute(kc, cells["unstored"], store_history=False)
        report["history"] = {
            "tail": collect(kc, kc.history(hist_access_type="tail", n=100, output=False, raw=True))["reply"],
            "search": collect(kc, kc.history(hist_access_type="search", pattern="*", n=100, output=False, raw=True))["reply"],
            "range": collect(kc, kc.history(hist_access_type="range", session=0, start=1, stop=3, output=False, raw=True))["reply"],
        }
        if "forged" in cells:
            forged_id, sock = forged_execute(km, cells["forged"])
            # Shell requests are served in order: once a later, honest request is answered,
            # the forged one would have been answered too.
            after = execute(kc, cells["ok"][0] if "ok" in cells else "")
            seen = []
            while True:
                try:
                    m = kc.get_iopub_msg(timeout=0.2)
                except Exception:
                    break
                seen.append(m)
            replied = sock.poll(200) != 0
            sock.close()
            report["forged"] = {
                "answered": replied,
                "iopub_for_forged": [m["msg_type"] for m in seen if m["parent_header"].get("msg_id") == forged_id],
                "after": after,
            }
    finally:
        stop(km, kc)
    return report


def execute_with_metadata(kc, code, metadata, stop_on_error):
    """execute_request with request metadata (a front end's cellId, tags, deletedCells)."""
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": stop_on_error}
    msg = kc.session.msg("execute_request", content, metadata=metadata)
    kc.shell_channel.send(msg)
    return collect(kc, msg["header"]["msg_id"])


def run_script(kernel_name, actions):
    """actions: [{"execute": code, "metadata"?: {...}}, {"is_complete": code}, ...], run in order
    against one kernel. Each execute gives {reply, outputs}; each is_complete its reply."""
    km, kc = start(kernel_name)
    results = []
    try:
        for action in actions:
            if "execute" in action:
                results.append(execute_with_metadata(kc, action["execute"], action.get("metadata", {}), False))
            elif "is_complete" in action:
                results.append(collect(kc, kc.is_complete(action["is_complete"]))["reply"])
            else:
                raise SystemExit("unknown action %r" % action)
    finally:
        stop(km, kc)
    return {"results": results}


def run_orphan(kernel_name):
    """Starts a kernel, says its pid, and waits: the test kills this process as a terminal's close would."""
    km, kc = start(kernel_name)
    json.dump({"kernel_pid": km.provisioner.process.pid}, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()
    while True:
        time.sleep(60)


def run_nbclient(kernel_name, src, dst, allow_errors=False):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(src, as_version=4)
    NotebookClient(nb, kernel_name=kernel_name, timeout=TIMEOUT, allow_errors=allow_errors).execute()
    nbformat.write(nb, dst)
    return {"cells": [{"source": c.source, "outputs": c.get("outputs", [])} for c in nb.cells]}


def run_bench(kernel_name, code, n):
    t0 = time.monotonic()
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    # kernel_info answered: one request, no retries, so the time is the kernel's own.
    msg_id = kc.kernel_info()
    while True:
        m = kc.get_shell_msg(timeout=TIMEOUT)
        if m["parent_header"].get("msg_id") == msg_id:
            break
    startup_ms = (time.monotonic() - t0) * 1000
    try:
        # IOPub may not be subscribed yet (ZeroMQ's slow joiner): without this the warm-up cell's
        # idle status can be lost. It is after the startup figure, so it does not change it.
        kc.wait_for_ready(timeout=TIMEOUT)
        execute(kc, code)  # warm-up: the first cell also starts the session
        samples = []
        for _ in range(n):
            s = time.monotonic()
            execute(kc, code)
            samples.append((time.monotonic() - s) * 1000)
    finally:
        stop(km, kc)
    return {"startup_ms": startup_ms, "median_ms": statistics.median(samples), "samples_ms": samples}


def main(argv):
    cmd = argv[1]
    if cmd == "scenario":
        with open(argv[3]) as f:
            out = run_scenario(argv[2], json.load(f))
    elif cmd == "script":
        with open(argv[3]) as f:
            out = run_script(argv[2], json.load(f))
    elif cmd == "orphan":
        run_orphan(argv[2])
        return
    elif cmd == "nbclient":
        out = run_nbclient(argv[2], argv[3], argv[4], allow_errors="--allow-errors" in argv[5:])
    elif cmd == "bench":
        out = run_bench(argv[2], argv[3], int(argv[4]))
    else:
        raise SystemExit("unknown command %s" % cmd)
    json.dump(out, sys.stdout, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
