#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Read `strace -ff -y -x -s 65535 -o PREFIX` traces of one command and list
every path outside the allowed folders that the command (or any process it
started) created, wrote, renamed, removed or changed the metadata of.

usage: containment_check.py PREFIX ROOT_CWD ALLOWED... [-- EXACT...]
  PREFIX     the -o prefix: PREFIX.<pid> files are read
  ROOT_CWD   the working folder of the traced command
  ALLOWED    folders whose contents may change (the output folder, TMPDIR, ...)
  EXACT      single paths that may be opened for writing (/dev/null, /dev/tty)
Exit 0: nothing outside; 1: violations (printed, one a line); 2: no trace.

Relative paths: *at() calls carry the folder in strace's -y decoration
(AT_FDCWD</cwd>, 3</dir>); the others (mkdir, rename, unlink, rmdir, link,
symlink, chmod, truncate, open, creat...) are resolved against the process'
working folder, followed through chdir/fchdir, the AT_FDCWD decorations it
printed, and fork/vfork/clone (a child starts in its parent's folder).
Only calls that succeeded count; an open that only reads does not.
"""
import os
import re
import sys

WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND", "O_TMPFILE")
# syscall -> (indexes of (dirfd, path) pairs or plain path args that are modified)
# an int i means a plain path at arg i; a tuple (d, p) a dirfd at d and a path at p.
MODIFY = {
    "creat": [0], "mkdir": [0], "mknod": [0], "rmdir": [0], "unlink": [0],
    "truncate": [0], "chmod": [0], "chown": [0], "lchown": [0], "utime": [0], "utimes": [0],
    "setxattr": [0], "lsetxattr": [0], "removexattr": [0], "lremovexattr": [0],
    "rename": [0, 1], "link": [1], "symlink": [1],
    "mkdirat": [(0, 1)], "mknodat": [(0, 1)], "unlinkat": [(0, 1)], "fchmodat": [(0, 1)],
    "fchmodat2": [(0, 1)], "fchownat": [(0, 1)], "futimesat": [(0, 1)],
    "renameat": [(0, 1), (2, 3)], "renameat2": [(0, 1), (2, 3)], "linkat": [(2, 3)],
    "symlinkat": [(1, 2)],
}
LINE = re.compile(r"^(?P<name>[a-z_0-9]+)\((?P<args>.*)\)\s+=\s+(?P<ret>-?\d+|\?)(?:<(?P<retpath>.*)>)?")


def split_args(s):
    """Top-level comma split, aware of "strings", {..}, [..], (..) and <..> decorations."""
    out, cur, depth, i, n = [], [], 0, 0, len(s)
    while i < n:
        c = s[i]
        if c == '"':
            j = i + 1
            while j < n and s[j] != '"':
                j += 2 if s[j] == "\\" else 1
            cur.append(s[i:j + 1])
            i = j + 1
            # a truncated string is followed by "..."
            continue
        if c in "{[(<":
            depth += 1
        elif c in "}])>":
            depth -= 1
        if c == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    if cur:
        out.append("".join(cur).strip())
    return out


def unquote(a):
    """"\\x2f..." -> str; None when not a string (NULL, a pointer)."""
    m = re.match(r'^"(.*)"(\.\.\.)?$', a, re.S)
    if not m:
        return None
    raw = m.group(1).encode("latin-1", "backslashreplace")
    try:
        import codecs
        return codecs.escape_decode(raw)[0].decode("utf-8", "surrogateescape")
    except Exception:
        return m.group(1)


def fd_dir(a):
    """'AT_FDCWD</x>' or '3</x>' -> '/x'; None when undecorated."""
    m = re.match(r"^(?:AT_FDCWD|-?\d+)<(.*)>$", a, re.S)
    return m.group(1) if m else None


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    prefix, root_cwd = argv[1], argv[2]
    rest = argv[3:]
    exact = []
    if "--" in rest:
        k = rest.index("--")
        rest, exact = rest[:k], rest[k + 1:]
    allowed = set()
    for r in rest:
        allowed.add(os.path.normpath(os.path.abspath(r)))
        allowed.add(os.path.realpath(r))
    exact = set(os.path.normpath(e) for e in exact)

    def inside(p):
        p = os.path.normpath(p)
        if p in exact:
            return True
        # a thread naming itself (Wine does): process state, not a host file
        if re.match(r"^/proc/(self|\d+)(/task/\d+)?/comm$", p):
            return True
        return any(p == r or p.startswith(r.rstrip("/") + "/") for r in allowed)

    d = os.path.dirname(prefix) or "."
    base = os.path.basename(prefix)
    files = {}
    for f in os.listdir(d):
        if f.startswith(base + "."):
            tail = f[len(base) + 1:]
            if tail.isdigit():
                files[int(tail)] = os.path.join(d, f)
    if not files:
        print("containment_check: no trace files %s.<pid>" % prefix)
        return 2
    # the first process: the one no other process started
    lines = {pid: open(p, encoding="latin-1").read().splitlines() for pid, p in files.items()}
    children = {}
    for pid, ls in lines.items():
        for l in ls:
            m = LINE.match(l)
            if m and m.group("name") in ("clone", "clone3", "fork", "vfork") and m.group("ret").isdigit():
                children[int(m.group("ret"))] = pid
    roots = sorted(p for p in lines if p not in children)
    start_cwd = {p: root_cwd for p in roots}
    violations = []
    order = list(roots)
    seen = set()
    while order:
        pid = order.pop(0)
        if pid in seen:
            continue
        seen.add(pid)
        cwd = start_cwd.get(pid, root_cwd)
        for l in lines.get(pid, []):
            m = LINE.match(l)
            if not m:
                continue
            name, ret = m.group("name"), m.group("ret")
            args = split_args(m.group("args"))
            for a in args:
                if a.startswith("AT_FDCWD<"):
                    cwd = fd_dir(a) or cwd
                    break
            if name in ("clone", "clone3", "fork", "vfork") and ret.isdigit():
                start_cwd[int(ret)] = cwd
                order.append(int(ret))
                continue
            if ret == "?" or ret.startswith("-"):
                continue
            if name == "chdir" and args:
                p = unquote(args[0])
                if p is not None:
                    cwd = os.path.normpath(os.path.join(cwd, p))
                continue
            if name == "fchdir" and args:
                cwd = fd_dir(args[0]) or cwd
                continue
            targets = []
            if name in ("open", "openat", "openat2"):
                fl = args[1] if name == "open" else (args[2] if len(args) > 2 else "")
                if not any(w in fl for w in WRITE_FLAGS):
                    continue
                if m.group("retpath"):
                    targets.append(m.group("retpath"))
                else:
                    p = unquote(args[0] if name == "open" else args[1]) or ""
                    dd = cwd if name == "open" else (fd_dir(args[0]) or cwd)
                    targets.append(os.path.join(dd, p))
            elif name in MODIFY:
                for spec in MODIFY[name]:
                    if isinstance(spec, tuple):
                        dfd, pi = spec
                        if pi >= len(args):
                            continue
                        p = unquote(args[pi])
                        if p is None:
                            continue
                        dd = fd_dir(args[dfd]) if dfd < len(args) else None
                        targets.append(os.path.join(dd or cwd, p))
                    else:
                        if spec >= len(args):
                            continue
                        p = unquote(args[spec])
                        if p is None:
                            continue
                        targets.append(os.path.join(cwd, p))
            for t in targets:
                if not inside(t):
                    violations.append("pid %d: %s -> %s" % (pid, l.strip()[:300], os.path.normpath(t)))
    for v in violations:
        print(v)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
