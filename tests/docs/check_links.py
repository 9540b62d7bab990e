"""Every relative link and image in README.md and docs/*.md names a file of the repository
(and, with #anchor, a heading of that file): a renamed file or heading breaks the test,
not the reader's click. Usage: check_links.py SOURCE_DIR"""
import pathlib
import re
import sys

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def anchors(path):
    """GitHub's anchors for the headings of a Markdown file."""
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            title = re.sub(r"[^\w\- ]", "", title)
            out.add(title.replace(" ", "-"))
    return out


def main():
    root = pathlib.Path(sys.argv[1])
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    bad = []
    checked = 0
    for page in pages:
        in_code = False
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("```"):
                in_code = not in_code
            if in_code:
                continue
            for target in LINK.findall(line):
                if re.match(r"^[a-z]+:", target):
                    continue  # a URL
                path, _, anchor = target.partition("#")
                file = (page.parent / path).resolve() if path else page
                checked += 1
                if not file.exists():
                    bad.append(f"{page.relative_to(root)}:{number}: {target}: no such file")
                elif anchor and file.suffix == ".md" and anchor not in anchors(file):
                    bad.append(f"{page.relative_to(root)}:{number}: {target}: no such heading")
    for line in bad:
        print(line)
    if checked == 0:
        print("no links found: is the source directory right?")
        return 1
    print(f"{checked} links checked, {len(bad)} broken")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
