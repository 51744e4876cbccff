"""The ``sealed_line`` strategy: a value printed with no label, under the seal that vouches for it.

Letters and commitments are often signed off (落款) with the unit's full name alone, flush right,
the seal stamped across it, and no 单位名称： label before it. A label strategy finds nothing
there. This strategy reads the text segments a seal is stamped over and offers one as the value
only when the whole segment is a well-formed value of the field's type (an organization's name
ending like one: 有限公司, 研究所…), never a segment with a label's colon in it (the label
strategy reads those). It is schema-listed after the label specs, so a labelled reading wins when
there is one; its confidence stays below the review threshold of a trusted reading unless another
reading (the seal ring's text, a labelled line) agrees.
"""
from __future__ import annotations

import re

from .context import Candidate, Context, _mean_conf, _norm, strategy
from .layout import _split_on_gaps, union
from .value_types import check, kind_of

SEALED_LINE_CONF = 0.9  # one unlabelled reading: shown, not trusted, until another agrees


@strategy("sealed_line")
def sealed_line_strategy(spec: dict, fs, ctx: Context) -> Candidate | None:
    kind = kind_of(fs, spec)
    # sign-offs end a document: look at the last page first
    for view in reversed(ctx.views):
        best = None
        for s in ctx.seals(view):
            x0, y0, x1, y1 = s.bbox
            h = max(1, y1 - y0)
            for row in view.rows:
                if not (y0 - 0.1 * h <= row.cy <= y1 + 0.1 * h):
                    continue
                for seg in _split_on_gaps(row.chars):
                    bb = union(c.bbox for c in seg)
                    if bb is None or bb[2] < x0 or bb[0] > x1:
                        continue  # not under this seal
                    text = "".join(c.text for c in seg).strip()
                    if not text or re.search(r"[:：]", text):
                        continue
                    n = _norm(spec, text, "name")
                    if n is None or check(kind, n.value)[0] < 1.0:
                        continue
                    dist = abs(row.cy - (y0 + y1) / 2) / h
                    conf = SEALED_LINE_CONF * min(1.0, _mean_conf(seg)) * n.certainty
                    if best is None or dist < best[0]:
                        best = (dist, Candidate(n.value, conf, view.number, bb, "sealed_line", text, "", n.certainty,
                                                view, list(seg), notes=["read under a seal, no label"]))
        if best is not None:
            return best[1]
    return None
