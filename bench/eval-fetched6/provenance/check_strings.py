"""Check that every any_of string occurs (case-insensitive) in its document's text.

PDF: text pypdf extracts; HTML: both the raw file and its visible text; Markdown and plain
text: raw file.
Also checks the retrieval probes' documents exist and prints word counts."""
import html, json, re, sys
from pathlib import Path
import pypdf

root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
corpus = root / "corpus"

def texts(name):
    p = corpus / name
    if p.suffix == ".pdf":
        r = pypdf.PdfReader(p)
        return {"pypdf": "\n".join((pg.extract_text() or "") for pg in r.pages)}
    raw = p.read_text(encoding="utf-8")
    if p.suffix == ".html":
        v = re.sub(r"(?s)<script.*?</script>|<style.*?</style>", "", raw)
        v = html.unescape(re.sub(r"<[^>]+>", " ", v))
        return {"raw": raw, "visible": v}
    return {"raw": raw}

facts = json.loads(next(root.glob("*.facts.json")).read_text())
bad = 0
if len(facts["facts"]) != 15:
    bad += 1
    print("expected 15 facts, found", len(facts["facts"]))
cache = {}
for f in facts["facts"]:
    for doc in [f["document"], *f.get("documents", [])]:
        t = cache.setdefault(doc, texts(doc))
        for g in f["any_of"]:
            for s in g:
                for kind, txt in t.items():
                    if s.lower() not in txt.lower():
                        bad += 1
                        print(f"MISSING {f['id']}: {s!r} not in {doc} ({kind})")
# uniqueness: no group of a fact may match (all its strings) any other corpus document
others = {p.name: texts(p.name) for p in corpus.iterdir()}
for f in facts["facts"]:
    for g in f["any_of"]:
        for name, t in others.items():
            if name == f["document"]:
                continue
            joined = " ".join(t.values()).lower()
            if all(s.lower() in joined for s in g):
                print(f"NOT UNIQUE {f['id']}: group {g} also matches {name}")
print(len(facts["facts"]), "facts;", sum(len(g) for f in facts["facts"] for g in f["any_of"]), "strings;", bad, "missing")
for line in (root / "retrieval.jsonl").read_text().splitlines():
    d = json.loads(line)["document"]
    assert (corpus / d).is_file(), d
from collections import Counter
print("facts per document:", dict(Counter(f["document"] for f in facts["facts"])))
total = 0
for p in sorted(corpus.iterdir()):
    n = len(texts(p.name).get("pypdf", p.read_text(encoding="utf-8") if p.suffix != ".pdf" else "").split()) if p.suffix == ".pdf" else len(p.read_text(encoding="utf-8").split())
    total += n
    print(f"{p.name}\t{p.stat().st_size}\t{n}")
print("total words", total)
sys.exit(1 if bad else 0)
