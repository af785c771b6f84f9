#!/usr/bin/env python3
# iotflow-bridge: the size and shape rules for Sources/ (STYLE.md): no file over 300 lines, no
# function over 60, no block nested more than four levels inside a function. Prints the longest
# file, the longest function and the deepest nesting, and fails on what breaks a rule.
#
#   python3 scripts/check-shape.py [--report] [DIR ...]     (default DIR: Sources)
#
# --report prints every offender and the figures but exits 0 (to plan a clean-up).
# Functions are `func`, `init`, `deinit`, `subscript` and computed-property bodies are not
# counted; a function's length runs from its declaration to its closing brace; nesting counts
# the braces opened inside the body (closures included), so `if` in a body is level 1.
# SPDX-License-Identifier: Apache-2.0
import re
import sys
from pathlib import Path

MAX_FILE_LINES = 300
MAX_FUNCTION_LINES = 60
MAX_NESTING = 4

DECLARATION = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|private|fileprivate|internal|package|open|"
                         r"static|class|final|mutating|nonmutating|override|nonisolated|convenience|required)"
                         r"(?:\([^)]*\))?\s+)*(func\s+[^\s(<]+|init[?!]?|deinit|subscript)\b")


def code_only(lines):
    """Each line with string literals and comments blanked, so braces in them do not count."""
    out, in_block, in_multiline = [], False, False
    for line in lines:
        result, i = [], 0
        while i < len(line):
            if in_block:
                end = line.find("*/", i)
                if end < 0:
                    i = len(line)
                else:
                    in_block, i = False, end + 2
            elif in_multiline:
                end = line.find('"""', i)
                if end < 0:
                    i = len(line)
                else:
                    in_multiline, i = False, end + 3
            elif line.startswith("//", i):
                break
            elif line.startswith("/*", i):
                in_block, i = True, i + 2
            elif line.startswith('"""', i):
                in_multiline, i = True, i + 3
            elif line[i] == '"':
                i += 1
                while i < len(line) and line[i] != '"':
                    i += 2 if line[i] == "\\" else 1
                i += 1
                result.append('""')
            else:
                result.append(line[i])
                i += 1
        out.append("".join(result))
    return out


def functions(path):
    """(name, first line, line count, deepest nesting) of each function in a file."""
    raw = path.read_text().splitlines()
    code = code_only(raw)
    found = []
    for start, line in enumerate(code):
        match = DECLARATION.match(line)
        if not match:
            continue
        depth, body_depth, deepest, opened = 0, None, 0, False
        for number in range(start, len(code)):
            for char in code[number]:
                if char == "{":
                    depth += 1
                    if body_depth is None:
                        body_depth, opened = depth, True
                    else:
                        deepest = max(deepest, depth - body_depth)
                elif char == "}":
                    depth -= 1
            if opened and depth < body_depth:
                found.append((match.group(1), start + 1, number - start + 1, deepest))
                break
            if not opened and number > start and (code[number].strip() in ("", "}") or DECLARATION.match(code[number])):
                break  # a protocol requirement: no body
    return found


def main(argv):
    report = "--report" in argv
    roots = [Path(a) for a in argv if a != "--report"] or [Path("Sources")]
    files = sorted(p for root in roots for p in root.rglob("*.swift"))
    problems, longest_file, longest_function, deepest = [], (0, ""), (0, ""), (0, "")
    for path in files:
        count = len(path.read_text().splitlines())
        longest_file = max(longest_file, (count, str(path)))
        if count > MAX_FILE_LINES:
            problems.append(f"{path}: {count} lines (at most {MAX_FILE_LINES})")
        for name, line, length, nesting in functions(path):
            where = f"{path}:{line} {name}"
            longest_function = max(longest_function, (length, where))
            deepest = max(deepest, (nesting, where))
            if length > MAX_FUNCTION_LINES:
                problems.append(f"{where}: {length} lines (at most {MAX_FUNCTION_LINES})")
            if nesting > MAX_NESTING:
                problems.append(f"{where}: nested {nesting} levels (at most {MAX_NESTING})")
    print(f"longest file: {longest_file[0]} lines, {longest_file[1]}")
    print(f"longest function: {longest_function[0]} lines, {longest_function[1]}")
    print(f"deepest nesting: {deepest[0]} levels, {deepest[1]}")
    for problem in problems:
        print(problem, file=sys.stderr if not report else sys.stdout)
    if problems and not report:
        print(f"error: {len(problems)} shape rule(s) broken (STYLE.md: files <= {MAX_FILE_LINES} lines, "
              f"functions <= {MAX_FUNCTION_LINES}, nesting <= {MAX_NESTING})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
