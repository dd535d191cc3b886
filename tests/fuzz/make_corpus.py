#!/usr/bin/env python3
"""Regenerates the seed corpora in tests/fuzz/corpus/<target>/ from the repository's real files.

    tests/fuzz/make_corpus.py        (python3, standard library only; output is deterministic)

spec: tests/data/spec/*.json (configs as runc and crun write them) and a few --memory sizes.
lab: labs/*/lab.json and tests/data/lab/{good,bad}/*, each as lab.json + NUL + README.md.
event: every line of tests/data/events/* (recorded streams and malformed lines).
serve: the one-line commands of tests/unit/serve_dispatch.cpp, and one session of several.
unpack: small tars written here: every entry type, whiteouts, pax and GNU long names, sparse
        files, and the escapes the unpacker must refuse (.., absolute, through a symlink).
procfs: a selector byte (see procfs.cpp) + tests/data/cgroup files and /proc samples.
"""
import hashlib
import io
import os
import re
import shutil
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(HERE, "corpus")


def read(*parts):
    with open(os.path.join(REPO, *parts), "rb") as f:
        return f.read()


def target(name):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    seen = set()

    def put(label, data):
        if data in seen:
            return
        seen.add(data)
        label = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-")[:60]
        digest = hashlib.sha1(data).hexdigest()[:8]
        with open(os.path.join(d, f"{label}-{digest}"), "wb") as f:
            f.write(data)

    return put


def spec():
    put = target("spec")
    for f in sorted(os.listdir(os.path.join(REPO, "tests/data/spec"))):
        put(f, read("tests/data/spec", f))
    for size in ["512k", "32m", "1.5g", "64MiB", "1048576", ""]:
        put("size-" + (size or "empty"), size.encode())


def lab():
    put = target("lab")
    dirs = [os.path.join("labs", d) for d in sorted(os.listdir(os.path.join(REPO, "labs")))]
    for kind in ["good", "bad"]:
        base = os.path.join("tests/data/lab", kind)
        dirs += [os.path.join(base, d) for d in sorted(os.listdir(os.path.join(REPO, base)))]
    for d in dirs:
        if not os.path.exists(os.path.join(REPO, d, "lab.json")):
            continue
        readme = os.path.join(REPO, d, "README.md")
        text = read(d, "lab.json") + b"\0"
        if os.path.exists(readme):
            text += read(d, "README.md")
        put(d, text)


def event():
    put = target("event")
    for f in sorted(os.listdir(os.path.join(REPO, "tests/data/events"))):
        for i, line in enumerate(read("tests/data/events", f).splitlines()):
            if line.strip():
                put(f"{f}-{i}", line)


def serve():
    put = target("serve")
    source = read("tests/unit/serve_dispatch.cpp").decode()
    lines = re.findall(r'R"\((\{.*?\})\)"', source)
    for i, line in enumerate(lines):
        put(f"command-{i}", line.encode())
    put("session", ("\n".join(lines[:12]) + "\n\n").encode())


def tar(entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for e in entries:
            info = tarfile.TarInfo(e["name"])
            info.type = e.get("type", tarfile.REGTYPE)
            info.mode = e.get("mode", 0o644)
            info.mtime = 1600000000
            info.uid = e.get("uid", 0)
            info.gid = e.get("gid", 0)
            info.linkname = e.get("link", "")
            info.pax_headers = e.get("pax", {})
            data = e.get("data", b"")
            info.size = len(data) if info.type == tarfile.REGTYPE else 0
            t.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
    return trimmed(buf.getvalue())


def trimmed(data):
    """Without tarfile's padding to 10 KiB records: the entries and the two zero blocks."""
    end = len(data.rstrip(b"\0"))
    end = (end + 511) // 512 * 512
    return data[:end] + b"\0" * 1024


def d(name, mode=0o755):
    return {"name": name, "type": tarfile.DIRTYPE, "mode": mode}


def unpack():
    put = target("unpack")
    put("tree", tar([d("bin"), {"name": "bin/busybox", "mode": 0o755, "data": b"\x7fELF" * 8},
                     {"name": "bin/sh", "type": tarfile.SYMTYPE, "link": "busybox"},
                     {"name": "bin/ls", "type": tarfile.LNKTYPE, "link": "bin/busybox"},
                     d("etc"), {"name": "etc/passwd", "data": b"root:x:0:0:root:/root:/bin/sh\n"},
                     d("tmp", 0o1777), {"name": "run/fifo", "type": tarfile.FIFOTYPE},
                     {"name": "usr/bin/su", "mode": 0o4755, "uid": 1000, "gid": 1000,
                      "data": b"suid"}]))
    put("whiteouts", tar([d("etc"), {"name": "etc/.wh.hosts"}, d("var/lib"),
                          {"name": "var/lib/.wh..wh..opq"}, {"name": "var/lib/new", "data": b"x"},
                          {"name": ".wh.tmp"}]))
    put("duplicates", tar([{"name": "a", "data": b"first"}, {"name": "a", "data": b"second"},
                           d("b"), d("b", 0o700), {"name": "b/c", "type": tarfile.SYMTYPE,
                                                   "link": "/etc/passwd"}]))
    put("xattrs", tar([{"name": "file", "data": b"x",
                        "pax": {"SCHILY.xattr.user.comment": "hello",
                                "SCHILY.xattr.trusted.overlay.opaque": "y"}},
                       d("dir", 0o500), {"name": "dir/inner", "data": b"y"}]))
    put("long-names", tar([{"name": "d/" + "n" * 120 + "/" + "f" * 120, "data": b"long"}],
                          fmt=tarfile.GNU_FORMAT))
    put("escape-dotdot", tar([{"name": "../outside", "data": b"x"}]))
    put("escape-absolute", tar([{"name": "/etc/boxlab-fuzz", "data": b"x"}]))
    put("escape-symlink", tar([{"name": "up", "type": tarfile.SYMTYPE, "link": ".."},
                               {"name": "up/sentinel", "data": b"overwritten"}]))
    put("escape-hardlink", tar([{"name": "h", "type": tarfile.LNKTYPE, "link": "../outside/sentinel"}]))
    put("device", tar([{"name": "dev/null", "type": tarfile.CHRTYPE, "mode": 0o666}]))
    put("empty", tar([]))
    put("sparse", sparse_tar())


def sparse_tar():
    """A PAX 1.0 sparse file (GNU.sparse.*): a 64 KiB file with one 4 byte block at 32 KiB."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        body = b"1\n32768\n4\n".ljust(512, b"\0") + b"data"
        info = tarfile.TarInfo("GNUSparseFile.0/sparse")
        info.size = len(body)
        info.mtime = 1600000000
        info.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                            "GNU.sparse.name": "sparse", "GNU.sparse.realsize": "65536"}
        t.addfile(info, io.BytesIO(body))
    return trimmed(buf.getvalue())


PROC_STAT = (b"4242 (sh (odd) name) S 1 4242 4242 34816 4242 4194560 100 0 0 0 0 0 0 0 20 0 1 0 "
             b"123456 2490368 200 18446744073709551615 1 1 0 0 0 0 0 0 65538 0 0 0 17 1 0 0 0 0 0")
PROC_STATUS = (b"Name:\tsh\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nNgid:\t0\n"
               b"Pid:\t4242\nPPid:\t1\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
               b"Threads:\t1\nNSpid:\t4242\t1\nNSpgid:\t4242\t1\nNSsid:\t4242\t1\n")


def procfs():
    put = target("procfs")
    keyed = 0
    for f in ["v1/pids.events", "v1/cpu.stat", "v1/memory.stat", "v1/memory.oom_control",
              "v2/pids.events", "v2/memory.events", "v2/cpu.stat", "v2/memory.stat"]:
        put("keyed-" + f, bytes([keyed]) + read("tests/data/cgroup", f))
    for text in [b"4096", b" 18446744073709551615\n", b"max", b"-1", b"50000 100000", b"max 100000"]:
        put("numbers", bytes([1]) + text)
    put("pids", bytes([2]) + b"1\n42\n4242\n")
    put("mountinfo", bytes([3]) + read("tests/data/cgroup/mountinfo-hybrid"))
    put("proc-cgroup", bytes([4]) + read("tests/data/cgroup/cgroup-hybrid"))
    put("stat", bytes([5]) + PROC_STAT)
    put("status", bytes([5]) + PROC_STATUS)
    put("ns-link", bytes([6]) + b"pid:[4026531836]")
    for text in [b"10.88.0.0/24", b"192.168.7.4/30", b"10.88.0.77", b"8080:80", b"8080:80/tcp"]:
        put("net", bytes([7]) + text)


if __name__ == "__main__":
    spec()
    lab()
    event()
    serve()
    unpack()
    procfs()
    for name in sorted(os.listdir(OUT)):
        files = os.listdir(os.path.join(OUT, name))
        size = sum(os.path.getsize(os.path.join(OUT, name, f)) for f in files)
        print(f"{name}: {len(files)} seeds, {size} bytes")
