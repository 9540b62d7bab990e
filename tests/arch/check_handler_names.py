#!/usr/bin/python3
"""Fails when code outside handlers/ names a handler kind (a folder under handlers/) or the
amqp handler's section: the CLI, the configuration and core learn them from plugins.
Comments may name them; code, strings and build files may not."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
kinds = sorted(p.name for p in (root / "handlers").iterdir() if p.is_dir() and p.name != "curl")
if len(kinds) < 4:
    sys.exit(f"expected at least 4 handler folders under handlers/, found {kinds}")
words = kinds + ["messaging"]
pattern = re.compile(r"(?<![A-Za-z0-9_-])(" + "|".join(words) + r")(?![A-Za-z0-9_])")
files = [root / "CMakeLists.txt"]
for folder in ("core", "config", "cli", "cmake"):
    files += [p for p in (root / folder).rglob("*") if p.is_file() and p.name != "server.conf.example"]
offenders = []
for path in files:
    in_block = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        code = line
        if in_block:
            if "*/" not in code:
                continue
            code = code.split("*/", 1)[1]
            in_block = False
        code = re.sub(r"/\*.*?\*/", "", code)
        if "/*" in code:
            code, in_block = code.split("/*", 1)[0], True
        code = code.split("//", 1)[0]
        if path.suffix in (".txt", ".cmake", ".in") or path.name == "CMakeLists.txt":
            code = code.split("#", 1)[0]
        if pattern.search(code):
            offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
if offenders:
    sys.exit("handler kinds named outside handlers/ (" + ", ".join(words) + "):\n" + "\n".join(offenders))
print(f"{len(files)} files outside handlers/ name none of: {', '.join(words)}")
