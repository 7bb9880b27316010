"""Assemble the compression model's training corpus from text already on this machine, offline.

    python scripts/compress_corpus.py OUT_DIR

Writes OUT_DIR/train/<kind>.txt (one file per kind, what ``aether train lm`` reads),
OUT_DIR/heldout/<kind>/<name> (whole files, never trained on: what ``aether bench compress``
measures) and OUT_DIR/MANIFEST.json (every source file, its kind, its split and its size).

Kinds and sources (MODEL_CARD.md, "Compression model", says the same for readers):
- prose: English prose: the Rust books (The Rust Programming Language, the Rustonomicon, the
  edition guide, the embedded book, Rust by Example) as text, the license texts in
  /usr/share/common-licenses, the English man pages (/usr/share/man/man1-8) as text, the
  docstrings of the Python standard library and tinyshakespeare (its first 90%: the last 10% is
  held out).
- code: the Python 3.11 standard library (.py), C sources and headers of the Python headers.
- markup: HTML of the Rust reference, Markdown and reStructuredText from installed packages' docs.
- logs: /var/log (dpkg, apt, alternatives).
- data: CSV and JSON files shipped inside installed Python packages.
- other: man pages in other languages (/usr/share/man/<lang>), decompressed troff.

A file goes to the held-out split when the sha1 of its path says so (1 in 8), so the split is the
same on every run; held-out files are whole files, which is what a user compresses.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import json
import lzma
import os
import re
import sys
from pathlib import Path

RUST = "/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html"
PY = "/root/.pyenv/versions/3.11.7/lib/python3.11"
SHAKESPEARE = Path(__file__).resolve().parents[1] / "../shared/data/tinyshakespeare.txt"
CAP = {"prose": 32 << 20, "code": 16 << 20, "markup": 10 << 20, "logs": 4 << 20,
       "data": 8 << 20, "other": 8 << 20}  # fmt: skip
HELDOUT_CAP = 256 << 10  # per held-out file
HELDOUT_FILES = 4  # per kind


def _html_text(raw: bytes) -> str:
    """Paragraph text of an HTML page (mdBook chapters: the prose, not the navigation)."""
    from lxml import html

    tree = html.fromstring(raw)
    main = tree.xpath("//main") or [tree]
    parts = []
    for el in main[0].iter("p", "h1", "h2", "h3", "li", "pre", "blockquote"):
        text = el.text_content().strip()
        if text:
            parts.append(text)
    return "\n\n".join(parts) + "\n"


_MACRO_TEXT = re.compile(r"^\.(?:SH|SS|B|I|BR|IR|RB|RI|BI|IB|TP|IP|PP|LP|P|TH|HP)\b\s*(.*)$")
_INLINE = {"B", "I", "BR", "IR", "RB", "RI", "BI", "IB"}
_ESCAPES = re.compile(r"\\(?:f[BIRP1-4]|f\(..|\(..|\*\(..|\*.|[-e&|^0 ]|s[-+]?\d)")


def _troff_text(raw: bytes) -> bytes:
    """Readable text of a man page: font macros join their line, section macros start a
    paragraph, other requests go."""
    out: list[str] = []
    for line in raw.decode("utf-8", "replace").splitlines():
        inline = False
        if line.startswith((".", "'")):
            m = _MACRO_TEXT.match(line)
            if not m:
                continue
            inline = line[1:3].rstrip() in _INLINE
            if not inline:
                out.append("")
            line = m.group(1).replace('"', "")
            if not line:
                continue
        line = _ESCAPES.sub(lambda e: "-" if e.group() == "\\-" else "", line)
        if (inline or (out and out[-1].endswith(" "))) and out and out[-1]:
            out[-1] = out[-1].rstrip() + " " + line + (" " if inline else "")
        else:
            out.append(line + (" " if inline else ""))
    return ("\n".join(s.rstrip() for s in out) + "\n").encode()


def _docstrings(raw: bytes) -> bytes:
    """The docstrings of a Python module, as paragraphs."""
    import ast

    docs = []
    for node in ast.walk(ast.parse(raw)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node)
            if doc and len(doc) > 200:
                docs.append(doc)
    return ("\n\n".join(docs) + "\n").encode()


def _files(pattern: str) -> list[str]:
    return sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))


def sources() -> dict[str, list[tuple[str, callable]]]:
    def read(p: str) -> bytes:
        return Path(p).read_bytes()

    def unz(p: str) -> bytes:
        return gzip.decompress(read(p)) if p.endswith(".gz") else read(p)

    def unxz(p: str) -> bytes:
        return lzma.decompress(read(p)) if p.endswith(".xz") else read(p)

    def text_of(p: str) -> bytes:
        return _html_text(read(p)).encode()

    books = [f"{RUST}/{b}/**/*.html" for b in
             ("book", "nomicon", "edition-guide", "embedded-book", "rust-by-example")]  # fmt: skip
    prose = [(p, text_of) for pat in books for p in _files(pat)
             if not p.endswith(("print.html", "toc.html", "404.html"))
             and not re.search(r"/(zh|ja|ko|es|fr|de|pt|ru)/", p)]  # fmt: skip
    # ~7,000 of the English man pages are gcloud's, nearly alike: keep 1 in 40 of those
    man = [p for p in _files("/usr/share/man/man[1-8]/*.gz")
           if "/gcloud" not in p or hashlib.sha1(p.encode()).digest()[1] % 40 == 0]  # fmt: skip
    prose += [(p, read) for p in _files("/usr/share/common-licenses/*")]
    prose += [(p, lambda p: _troff_text(unz(p))) for p in man]
    prose += [(p, lambda p: _docstrings(read(p))) for p in _files(f"{PY}/*.py")]
    code = [(p, read) for p in _files(f"{PY}/**/*.py") if "site-packages" not in p]
    code += [(p, read) for p in _files("/root/.pyenv/versions/3.11.7/include/**/*.h")]
    markup = [(p, read) for p in _files(f"{RUST}/reference/**/*.html")]
    markup += [(p, read) for p in _files(f"{PY}/site-packages/**/*.md")]
    markup += [(p, read) for p in _files(f"{PY}/site-packages/**/*.rst")]
    logs = [(p, unxz) for p in _files("/var/log/**/*") if re.search(r"\.log(\.xz)?$", p)]
    data = [(p, read) for p in _files(f"{PY}/site-packages/**/*.csv")]
    data += [
        (p, read) for p in _files(f"{PY}/site-packages/**/*.json") if os.path.getsize(p) > 2000
    ]
    other = [(p, unz) for p in _files("/usr/share/man/[a-z][a-z]*/man1/*.gz")
             if not re.search(r"/man/man\d", p)]  # fmt: skip
    return {"prose": prose, "code": code, "markup": markup, "logs": logs, "data": data,
            "other": other}  # fmt: skip


def heldout(path: str) -> bool:
    return hashlib.sha1(path.encode()).digest()[0] % 8 == 0


def main(out: Path) -> int:
    manifest = []
    (out / "train").mkdir(parents=True, exist_ok=True)
    for kind, files in sources().items():
        (out / "heldout" / kind).mkdir(parents=True, exist_ok=True)
        size, n_held = 0, 0
        with open(out / "train" / f"{kind}.txt", "wb") as train:
            if kind == "prose":  # tinyshakespeare: first 90% trains, the rest is held out
                text = SHAKESPEARE.read_bytes()
                cut = int(len(text) * 0.9)
                train.write(text[:cut])
                size += cut
                (out / "heldout" / kind / "shakespeare_val.txt").write_bytes(text[cut:])
                n_held += 1
            for path, load in files:
                try:
                    blob = load(path)
                except (OSError, ValueError, EOFError, lzma.LZMAError):
                    continue
                if len(blob) < 200:
                    continue
                split = "heldout" if heldout(path) else "train"
                if split == "heldout":
                    if n_held >= HELDOUT_FILES or len(blob) < 8 << 10:
                        continue
                    name = f"{n_held}_{Path(path).name.removesuffix('.gz').removesuffix('.xz')}"
                    if kind == "prose":
                        name = name.removesuffix(".html") + ".txt"
                    (out / "heldout" / kind / name).write_bytes(blob[:HELDOUT_CAP])
                    n_held += 1
                elif size < CAP[kind]:
                    train.write(blob)
                    train.write(b"\n")
                    size += len(blob) + 1
                else:
                    continue
                manifest.append({"path": path, "kind": kind, "split": split, "bytes": len(blob)})
        print(f"{kind:7s} train {size / 1e6:6.1f} MB  held-out files {n_held}")
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")))
