#!/usr/bin/python3
# iotflow-bridge: runs a command under the system call filter, address families and
# MemoryDenyWriteExecute= of a systemd unit, without systemd: what scripts/check-sandbox.sh needs
# to run the bridge as the unit would. The filter is libseccomp's (Debian python3-seccomp), built
# from the unit's SystemCallFilter= lines with the groups systemd-analyze expands.
#   sandbox-exec.py UNIT COMMAND [ARG ...]
# SPDX-License-Identifier: Apache-2.0
import ctypes
import errno
import os
import socket
import subprocess
import sys

import seccomp

PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1


def directives(unit):
    """(key, value) for each assignment in the unit, in order."""
    with open(unit) as file:
        for line in file:
            key, sep, value = line.strip().partition("=")
            if sep and not key.startswith("#"):
                yield key, value


def expand(name):
    """A system call group (@name) as the system call names systemd puts in it."""
    if not name.startswith("@"):
        return {name}
    listing = subprocess.run(["systemd-analyze", "syscall-filter", name], check=True,
                             capture_output=True, text=True).stdout.splitlines()[1:]
    names = set()
    for entry in (line.strip() for line in listing):
        if entry and not entry.startswith("#"):
            names |= expand(entry)
    return names


def allowed_calls(settings):
    """systemd's rule: the first SystemCallFilter= sets the kind of list, the later ones edit it."""
    allowed = None
    for key, value in settings:
        if key != "SystemCallFilter":
            continue
        deny = value.startswith("~")
        names = set().union(*(expand(n) for n in value.lstrip("~").split()))
        if allowed is None and deny:
            sys.exit("sandbox-exec: a deny list first is not supported; the unit ships an allow list")
        allowed = (allowed or set()) - names if deny else (allowed or set()) | names
    return allowed


def main():
    unit, command = sys.argv[1], sys.argv[2:]
    settings = list(directives(unit))
    values = dict(settings)
    allowed = allowed_calls(settings)
    error = getattr(errno, values.get("SystemCallErrorNumber", "EPERM"))
    # libseccomp adds the native architecture only: SystemCallArchitectures=native.
    rules = seccomp.SyscallFilter(defaction=seccomp.ERRNO(error))
    for name in sorted(allowed - {"socket"}):
        try:
            rules.add_rule(seccomp.ALLOW, name)
        except (RuntimeError, ValueError):
            pass  # a call of another architecture (s390_*, arm_*): systemd skips it too
    # Other families fail with the filter's errno (systemd answers EAFNOSUPPORT).
    for family in values["RestrictAddressFamilies"].split():
        rules.add_rule(seccomp.ALLOW, "socket", seccomp.Arg(0, seccomp.EQ, getattr(socket, family)))
    if values.get("MemoryDenyWriteExecute") == "yes":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
            sys.exit(f"sandbox-exec: prctl(PR_SET_MDWE): {os.strerror(ctypes.get_errno())}")
    rules.load()
    os.execv(command[0], command)


main()
