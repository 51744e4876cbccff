"""Plain data passed between pipeline steps.

Every step is a function over these frozen dataclasses; nothing here talks to
the database or the file system, so the same objects flow through `extract`
(no database), `ingest` and the review UI's re-validation.
"""
from __future__ import annotations

from dataclasses import dataclass, field, asdict
from typing import Any, Protocol, Sequence

BBox = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels of the rendered page image


def box_intersection(a, b) -> float:
    """The area two boxes (x0, y0, x1, y1) share; 0 when they do not meet."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return float(w * h) if w > 0 and h > 0 else 0.0


def box_area(b) -> float:
    return float(max(0, b[2] - b[0]) * max(0, b[3] - b[1]))


def box_iou(a, b) -> float:
    """Intersection over union of two boxes: 1 for the same box, 0 for boxes that do not meet."""
    inter = box_intersection(a, b)
    return inter / (box_area(a) + box_area(b) - inter) if inter else 0.0


@dataclass(frozen=True)
class Word:
    """A recognised word (a single CJK character or a Latin/digit run)."""

    text: str
    bbox: BBox
    confidence: float


@dataclass(frozen=True)
class Line:
    """A text line as the OCR engine (or the PDF text layer) returned it."""

    text: str
    bbox: BBox
    confidence: float
    words: tuple[Word, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "bbox": list(self.bbox),
            "confidence": self.confidence,
            "words": [[w.text, list(w.bbox), w.confidence] for w in self.words],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Line":
        return cls(
            text=d["text"],
            bbox=tuple(d["bbox"]),
            confidence=float(d["confidence"]),
            words=tuple(Word(t, tuple(b), float(c)) for t, b, c in d.get("words", [])),
        )


@dataclass(frozen=True)
class Page:
    """One page of one file, rendered to an image and read.

    `number` is 1-based within the file. `source` is ``"text"`` when the PDF's
    own text layer was used and ``"ocr"`` when the rendered image was read.
    `rotation` is the clockwise correction (0/90/180/270) already applied to
    the image at `image_path`; all boxes refer to that corrected image.
    """

    number: int
    width: int
    height: int
    dpi: int
    source: str
    image_path: str
    lines: tuple[Line, ...] = ()
    engine: str = ""
    rotation: int = 0
    image_sha256: str = ""
    file_sha256: str = ""
    page_id: int | None = None  # database id when the page is stored
    # The seals on the image, when they were detected with its reading (ocr/runner.py `page_reading`);
    # None: not yet detected (extraction detects them). Not stored: detected again from the image.
    seals: tuple["Seal", ...] | None = None

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass
class FieldValue:
    """An extracted (or reviewer-corrected) field value with its evidence."""

    value: Any
    confidence: float = 0.0
    page: int | None = None
    bbox: BBox | None = None
    strategy: str = ""
    raw: str = ""
    label: str = ""
    source: str = "extractor"  # or "reviewer"

    def contract(self) -> dict[str, Any]:
        """The shape of contract section 2."""
        out: dict[str, Any] = {"value": self.value, "confidence": round(float(self.confidence), 3)}
        if self.page is not None:
            out["page"] = self.page
        if self.bbox is not None:
            out["bbox"] = [int(v) for v in self.bbox]
        return out


@dataclass
class Seal:
    page: int
    bbox: BBox
    color: str = "red"  # "red" or "gray"
    shape: str = "round"  # "round", "oval", "square"
    text: str = ""
    confidence: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"page": self.page, "bbox": list(self.bbox), "color": self.color, "shape": self.shape,
                "text": self.text, "confidence": self.confidence}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Seal":
        return cls(int(d.get("page", 1)), tuple(d["bbox"]), d["color"], d["shape"], d.get("text", ""),
                   float(d["confidence"]))

    def contract(self) -> dict[str, Any]:
        out = {"page": self.page, "bbox": [int(v) for v in self.bbox], "color": self.color}
        if self.text:
            out["text"] = self.text
        return out


@dataclass
class Finding:
    rule: str
    severity: str  # "error" | "warning"
    message: str
    fields: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    source: str = ""  # article of the policy text, e.g. "细则 第二十二条"
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Document:
    """One logical document: a type, the pages it spans, its fields."""

    type: str
    pages: list[int]
    confidence: float = 0.0
    fields: dict[str, FieldValue] = field(default_factory=dict)
    seals: list[Seal] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    file: str = ""
    file_sha256: str = ""
    signatures: list[dict[str, Any]] = field(default_factory=list)
    document_id: int | None = None

    def values(self) -> dict[str, Any]:
        return {k: f.value for k, f in self.fields.items()}

    def contract(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "pages": list(self.pages),
            "confidence": round(float(self.confidence), 3),
            "fields": {k: f.contract() for k, f in self.fields.items()},
            "seals": [s.contract() for s in self.seals],
            "findings": [
                {"rule": f.rule, "severity": f.severity, "message": f.message, "fields": f.fields}
                for f in self.findings
            ],
        }


TRUE_WORDS = ("true", "1", "yes", "是", "有")
FALSE_WORDS = ("false", "0", "no", "否", "无")


def parse_bool(value: Any) -> bool | None:
    """A yes/no as documents, reviewers and stored JSON write it (是/有/true/1 …); None when it is
    neither. The one boolean parser: extraction's ``bool`` normalizer, validation's seal and
    signature checks and the review form all use it."""
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return bool(value)
    s = str(value).strip().lower()
    if s in TRUE_WORDS:
        return True
    if s in FALSE_WORDS:
        return False
    return None


class RegionReader(Protocol):
    """How extraction reads an image again (a crop, a page with red print kept, another engine, a seal ring).

    Extraction is a pure leaf and never loads an OCR engine itself: the caller (the pipeline,
    `docintake extract`, a test) passes an object with this shape, and its implementation
    decides where the reading runs and how it is cached (intake/reader.py).

    `engine` None means the caller's engine. `keep_red` reads the image as grayscale, so red
    print the engine's seal-ink removal would erase stays legible. `line` reads the image as one
    text line with the recogniser only (no detector): at most one `Line` covering the image.
    `known` is an earlier reading of the same image (its lines, same coordinates): an engine with
    a separate detector then recognises only what those lines lack or read unsure, and returns
    them together with its new lines; any other engine reads the whole image again.
    """

    def read(self, image, engine: str | None = None, keep_red: bool = False, line: bool = False,
             known: Sequence[Line] | None = None) -> list[Line]:
        ...
