"""Both real OCR engines read generated Chinese pages within a character error bound."""
from __future__ import annotations

import pytest

from intake.ocr.base import available_engines, clean_text, get_engine
from intake.ocr.runner import OcrJob, OcrRunner, read_page, rotate
from extractors.seals_text import edit_distance

TEXT = [
    "统一社会信用代码 91411000MA47M7QPXU",
    "名称 许昌瑞达精密机械有限公司",
    "住所 河南省许昌市魏都区七里店街道莲城大道1888号",
    "成立日期 2015年06月01日",
    "注册资本 人民币伍佰万元整",
]


def cer(truth: str, read: str) -> float:
    """Character error rate: Levenshtein distance over the truth's length."""
    return edit_distance(truth, read) / max(len(truth), 1)


def joined(lines) -> str:
    return "".join(l.text for l in lines).replace(" ", "")


TRUTH = "".join(TEXT).replace(" ", "")


@pytest.mark.parametrize("engine,bound", [("rapidocr", 0.03), ("tesseract", 0.15)])
def test_engine_reads_chinese_page(engine, bound, text_page):
    lines = get_engine(engine).recognize(text_page(TEXT))
    assert cer(TRUTH, joined(lines)) <= bound
    for line in lines:
        x0, y0, x1, y1 = line.bbox
        assert 0 <= x0 < x1 and 0 <= y0 < y1
        assert 0.0 <= line.confidence <= 1.0


def test_spaces_between_chinese_characters_are_removed():
    assert clean_text("许 昌 市 魏都区") == "许昌市魏都区"
    assert clean_text("代码 9141 1002") == "代码9141 1002"


def test_rapidocr_gives_character_boxes_inside_the_line(text_page):
    lines = get_engine("rapidocr").recognize(text_page(TEXT[:1]))
    line = lines[0]
    assert line.words, "per-character boxes are what field boxes are cut from"
    for w in line.words:
        assert line.bbox[0] - 5 <= w.bbox[0] <= w.bbox[2] <= line.bbox[2] + 5


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_upside_down_and_sideways_pages_are_turned_upright(turn, text_page):
    upright = text_page(TEXT)
    fed = upright.rotate(turn, expand=True, fillcolor="white")  # PIL turns counter-clockwise
    res = read_page(fed, "rapidocr")
    assert res.rotation == turn  # the clockwise correction undoes the counter-clockwise turn
    assert cer(TRUTH, joined(res.lines)) <= 0.05
    assert rotate(fed, res.rotation).size == upright.size


def test_runner_reads_pages_in_parallel_processes(tmp_path, text_page):
    paths = []
    for i in range(2):
        p = tmp_path / f"p{i}.png"
        text_page(TEXT[i:i + 2]).save(p)
        paths.append(p)
    runner = OcrRunner("rapidocr", workers=2, progress=False)
    try:
        results = runner.read([OcrJob(str(p), "rapidocr") for p in paths])
    finally:
        runner.close()
    assert [joined(r.lines) for r in results] == [
        "".join(TEXT[0:2]).replace(" ", ""),
        "".join(TEXT[1:3]).replace(" ", ""),
    ]


def test_a_region_read_by_the_pool_reads_as_in_this_process(tmp_path, text_page):
    """Extraction's re-reads (a crop, a page with red kept, known lines given) go to a worker once the
    pool runs, so the coordinator needs no engine of its own; what they read is what it would read."""
    from intake.ocr.base import settings_key_of
    from intake.ocr.runner import read_region

    page = text_page(TEXT)
    p = tmp_path / "p.png"
    page.save(p)
    crop = page.crop((0, 0, page.width, page.height // 3))
    runner = OcrRunner("rapidocr", workers=2, progress=False)
    try:
        first = runner.read([OcrJob(str(p), "rapidocr")] * 2)[0]  # the pool is running now
        known = first.lines[:2]
        got = [runner.read_region(crop), runner.read_region(page, keep_red=True, known=known),
               runner.read_region(crop, line=True)]
    finally:
        runner.close()
    here = [read_region(crop, "rapidocr"), read_region(page, "rapidocr", True, False, known),
            read_region(crop, "rapidocr", False, True)]
    assert got == here and got[0]
    assert settings_key_of("rapidocr") == get_engine("rapidocr").settings_key()


def test_a_page_read_in_the_pool_brings_the_seals_extraction_would_find(tmp_path):
    """The worker that reads a page detects its seals too, so the coordinator does not: the seals it
    brings are the ones detection in this process finds, numbered for the page; at another dpi, or
    for a job that did not ask for them, there are none and extraction detects them itself."""
    from extractors.seals import detect_seals
    from tests.corpus import generate_document

    doc = generate_document("commitment_letter", seed=3, quality="scan")
    image, dpi = doc.pages[-1], doc.truth["dpi"]
    p = tmp_path / "p.png"
    image.save(p)
    runner = OcrRunner("rapidocr", workers=2, progress=False)
    try:
        with_seals, without = runner.read([OcrJob(str(p), "rapidocr", seals=True, dpi=dpi),
                                           OcrJob(str(p), "rapidocr")])
    finally:
        runner.close()
    here = detect_seals(image, dpi, 7)
    assert here and list(with_seals.seals_for(7, dpi)) == here
    assert with_seals.seals_for(7, dpi + 1) is None and without.seals_for(7, dpi) is None
    assert with_seals.lines == without.lines


def test_the_feed_hands_urgent_jobs_to_the_next_free_worker_and_drops_cancelled_ones():
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from intake.ocr.feed import URGENT, Feed

    gate, order = threading.Event(), []

    def job(name):
        if name == "busy":
            gate.wait(30)
        order.append(name)
        return name

    pool = ThreadPoolExecutor(max_workers=1)
    feed = Feed(pool, slots=1)
    try:
        busy = feed.submit(job, "busy")
        while not busy.running():  # handed to the pool: the only worker is taken
            threading.Event().wait(0.01)
        pages = [feed.submit(job, f"page{i}") for i in range(3)]
        assert pages[1].cancel()  # a read-ahead page dropped while queued never runs
        region = feed.submit(job, "region", priority=URGENT)
        gate.set()
        assert region.result(30) == "region" and pages[2].result(30) == "page2" and busy.result(30) == "busy"
        assert order == ["busy", "region", "page0", "page2"]
        gate.clear()
        feed.submit(job, "busy")
        late = feed.submit(job, "late")
        feed.stop()  # what was queued fails as on a shut pool: the caller reads it again
        gate.set()
        with pytest.raises(BrokenProcessPool):
            late.result(30)
    finally:
        gate.set()
        pool.shutdown()


def test_both_engines_are_registered():
    assert {"rapidocr", "tesseract"} <= set(available_engines())


def test_rapidocr_settings_are_read_from_the_environment_and_refused_when_unknown(monkeypatch):
    from intake.errors import EngineError
    from intake.ocr.settings import DEFAULT, ENV, current, parse

    monkeypatch.setenv(ENV, "det_limit_side=960, backend=openvino,mem_arena=true")
    s = current()
    assert (s.det_limit_side, s.backend, s.mem_arena) == (960, "openvino", True)
    assert s.rec_batch == DEFAULT.rec_batch  # the rest stays the chosen default
    for bad in ("det_limit=960", "det_limit_side=big", "backend=cuda", "det_limit_type"):
        with pytest.raises(EngineError, match="DOCINTAKE_RAPIDOCR"):
            parse(bad)


def test_other_rapidocr_settings_never_share_a_cache_key_with_the_default(text_page):
    """A page read under other engine settings is read again, not served from the default's cache."""
    from dataclasses import replace

    from intake.ocr.rapid import RapidOcrEngine
    from intake.ocr.runner import cache_key
    from intake.ocr.settings import DEFAULT, RapidSettings

    default = RapidOcrEngine(settings=DEFAULT)
    other = RapidOcrEngine(settings=replace(DEFAULT, det_limit_side=DEFAULT.det_limit_side + 64))
    before = RapidOcrEngine(settings=RapidSettings())
    img = text_page(TEXT[:2])
    keys = {cache_key(img, e.settings_key()) for e in (default, other, before)}
    assert len(keys) == (3 if DEFAULT != RapidSettings() else 2)
    # the settings used before they were configurable keep their key (committed fixture caches stay valid)
    assert before.settings_key() == f"rapidocr-{before._version}-redrm1-wordbox"
    assert cer("".join(TEXT[:2]).replace(" ", ""), joined(other.recognize(img))) <= 0.03


def test_openvino_default_is_pinned_to_f32_and_reads_what_onnxruntime_reads(text_page):
    """The shipped OpenVINO engine computes in the models' own precision on every CPU (no bf16 where the
    CPU has it, no dynamic quantization), so a page reads the same on any machine and on onnxruntime."""
    from dataclasses import replace

    from intake.ocr.rapid import RapidOcrEngine
    from intake.ocr.settings import DEFAULT

    assert DEFAULT.backend == "openvino" and DEFAULT.ov_precision == "f32"
    ov = RapidOcrEngine(settings=DEFAULT)
    ort = RapidOcrEngine(settings=replace(DEFAULT, backend="onnxruntime"))
    img = text_page(TEXT)
    a, b = ov.recognize(img), ort.recognize(img)
    assert [(l.text, l.bbox) for l in a] == [(l.text, l.bbox) for l in b]
    inner = ov._ocr._inner
    for model in (inner.text_det, inner.text_rec):
        compiled = model.session.session.get_compiled_model()
        assert str(compiled.get_property("INFERENCE_PRECISION_HINT")) == "<Type: 'float32'>"
        assert str(compiled.get_property("EXECUTION_MODE_HINT")).endswith("ACCURACY")
        # unpinned: two pool processes pinned their threads to the same core and shared it
        assert compiled.get_property("ENABLE_CPU_PINNING") is False
    assert ov.settings_key() != RapidOcrEngine(settings=replace(DEFAULT, ov_precision="auto")).settings_key()


def test_the_detector_input_is_normalized_by_table_to_rapidocrs_own_values(text_page):
    """The page the detector sees is rapidocr's own normalization of it, bit for bit (so readings and
    cache keys stay), made by looking up each pixel instead of float64 arithmetic over the page."""
    import numpy as np
    from rapidocr.ch_ppocr_det.utils import DetPreProcess

    engine = get_engine("rapidocr")
    det = engine._ocr._inner._load_det_model()
    page = np.asarray(text_page(TEXT).convert("RGB"))
    ours = det.get_preprocess()
    assert type(ours) is not DetPreProcess
    theirs = DetPreProcess(det.limit_side_len, det.limit_type, det.mean, det.std)
    a, b = ours(page), theirs(page)
    assert a.dtype == b.dtype == np.float32 and a.shape == b.shape
    assert np.array_equal(a, b)
