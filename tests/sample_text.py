"""Sentences of the sample corpus (``corpus/``), shared by test_claims.py and test_verify.py.

Real corpus text rather than made-up examples: the verifier's thresholds are
calibrated on this corpus, so its tests should exercise the same wording.
"""

from __future__ import annotations

from pathlib import Path

from briefer.textanalysis import split_sentences

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

TARIFF = ("The provocatively initiated tariffs on Chinese goods, which rose to an excess of 145%, "
          "only expanded Trump’s trade war, wreaking havoc in access to transformative applied "
          "technology.")
BAIDU = ("Similarly, Baidu has opted for Huawei’s chips, marking a significant departure from "
         "reliance on American semiconductor firms like Nvidia, underscoring a shift in China’s "
         "tech landscape and self-sufficiency ambitions.")
ENTITY_LIST = ("The rationale behind US export restrictions dates back to the Trump administration, "
               "with substantial decisions made in 2019 to place several Chinese AI companies on an "
               "entity list requiring special licenses for US firms to engage in business with them.")
A100 = ("Washington has imposed sweeping export controls on critical AI technologies, particularly "
        "targeting Chinese access to high-performance AI chips such as Nvidia’s A100 and H100 models.")
SHARE = ("While U.S.-dominated AI still holds about 70% of the world’s market share, Chinese labs are "
         "making remarkable strides thanks to this collaborative approach.")
POWER = ("These chips, though not as powerful as Nvidia’s A100 or H100 models, are still essential "
         "for AI research.")
INVEST = ("The Chinese government has invested heavily, tens of billions of dollars, in bolstering "
          "domestic players and fostering indigenous innovation in core technological areas.")
ASCEND = ("Initially hampered by these restrictions, Huawei has countered by advancing its own research "
          "and development initiatives, culminating in the release of its Ascend AI training chips.")
BYTEDANCE = ("These chips have reportedly found favor among major Chinese tech firms, including "
             "ByteDance, the parent company of TikTok, which is leveraging Ascend for large-scale AI "
             "model training.")
H20 = ("As China works to overcome its dependence on foreign semiconductor technology, it has "
       "increasingly relied on alternative sources, including stockpiling Nvidia’s H20 chips.")
AMD = ("The US has imposed export bans and restrictions on China’s access to advanced AI technology, "
       "affecting American technology companies like Nvidia and AMD.")
INTERPLAY = ("The interplay of US export controls, Chinese self-reliance efforts, and the rhetoric of "
             "Silicon Valley will shape the future landscape of AI development.")
FRAMING = ("This framing not only conflates national security concerns with personal gain and "
           "resistance to AI regulation, but also promotes a zero-sum mentality towards US-China "
           "competition.")
CONFERENCE = ("The recent World AI Conference in Shanghai was nothing short of a sprawling fleet of tech "
              "giants—over 800 companies—from heavyweight titans like Huawei, Alibaba, and Tencent to "
              "daring startups and even international players such as Tesla and Amazon.")


def corpus_sentences() -> list[str]:
    """Every punkt sentence of every sample-corpus file, in file order."""
    sentences: list[str] = []
    for path in sorted(CORPUS.glob("*.txt")):
        sentences += split_sentences(path.read_text(encoding="utf-8"))
    return sentences
