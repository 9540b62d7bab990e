#!/usr/bin/python3
"""Every C++ and Python snippet in README.md and docs/*.md is a whole file of examples/snippets/.

A ```cpp block must follow a line `<!-- snippet: examples/snippets/NAME.cpp -->` and hold
that file exactly, so the code a reader copies is the code the build compiles and links
(examples/snippets/CMakeLists.txt). A ```python block likewise holds NAME.py, which the
tests import (the webhook receiver's signature check, the AMQP 0-9-1 consumer's header
decoding). Every snippet file but main.cpp is shown somewhere.
Usage: check_snippets.py SOURCE_DIR
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
marker = re.compile(r"^<!-- snippet: (examples/snippets/[A-Za-z0-9_]+\.(cpp|py)) -->$")
languages = {"```cpp": "cpp", "```c++": "cpp", "```C++": "cpp", "```python": "py"}
problems = []
shown = set()
for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
    lines = doc.read_text().split("\n")
    i = 0
    while i < len(lines):
        language = languages.get(lines[i].strip())
        if language:
            start = i
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), None)
            where = f"{doc.relative_to(root)}:{start + 1}"
            if end is None:
                problems.append(f"{where}: the code block never ends")
                break
            m = marker.match(lines[start - 1]) if start > 0 else None
            if not m or m.group(2) != language:
                problems.append(f"{where}: a code block without '<!-- snippet: examples/snippets/NAME.{language} -->' "
                                "before it")
            else:
                path = root / m.group(1)
                shown.add(path.name)
                block = "\n".join(lines[start + 1:end]) + "\n"
                if not path.exists():
                    problems.append(f"{where}: {m.group(1)} does not exist")
                elif block != path.read_text():
                    problems.append(f"{where}: the block differs from {m.group(1)} (show the file whole)")
            i = end
        i += 1
for path in sorted([*(root / "examples" / "snippets").glob("*.cpp"), *(root / "examples" / "snippets").glob("*.py")]):
    if path.name != "main.cpp" and path.name not in shown:
        problems.append(f"examples/snippets/{path.name}: shown in no doc")
for p in problems:
    print("FAIL: " + p)
print(f"doc snippets: {len(shown)} files checked, {len(problems)} problems")
sys.exit(1 if problems else 0)
