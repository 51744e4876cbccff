"""RapidOCR's configuration, in one place: inference backend, session options, detector size, batch.

Every field is part of the engine's `settings_key`, and so of every OCR cache key: a page read
with other settings is read again, never served from a cache entry made under different ones.
`DEFAULT` is the configuration chosen by `bench/engines.py` (bench/results/engines.md: the
fastest that held held-out field accuracy). `DOCINTAKE_RAPIDOCR` overrides fields for one run
(``name=value,name=value``, e.g. ``det_limit_side=1280,backend=openvino``) so a benchmark can
try a configuration in spawned pool workers without code changes; pool and Celery workers
inherit it from the environment, and a worker whose key differs from the coordinator's is
refused (intake/distributed/tasks.py).
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields, replace

from ..errors import EngineError

ENV = "DOCINTAKE_RAPIDOCR"
BACKENDS = ("onnxruntime", "openvino")
GRAPH_LEVELS = ("disabled", "basic", "extended", "all")
OV_PRECISIONS = ("f32", "auto")
OV_HINTS = ("LATENCY", "THROUGHPUT")


@dataclass(frozen=True)
class RapidSettings:
    backend: str = "onnxruntime"
    # onnxruntime session options; one thread per process, the pool provides the parallelism
    intra_threads: int = 1
    inter_threads: int = 1
    graph_opt: str = "all"
    mem_arena: bool = False
    # Global.max_side_len: the page is scaled to this before detection, and lines are cropped
    # for recognition from this scaled page
    max_side: int = 2000
    # Det.limit_type/limit_side_len: the detector's own input size ("max": longest side at most
    # this; "min": shortest side at least this). A smaller detector input with a larger max_side
    # detects at low resolution and recognises crops from the fuller-resolution page.
    det_limit_type: str = "min"
    det_limit_side: int = 736
    rec_batch: int = 6
    # OpenVINO only. Inference precision: "f32" pins the CPU plugin to the models' own precision
    # (with ACCURACY execution mode, no dynamic quantization, no denormal flushing), so a CPU with
    # bf16/AMX reads what one without reads; "auto" leaves the plugin's choice (may be bf16).
    ov_precision: str = "f32"
    # OpenVINO only: PERFORMANCE_HINT and NUM_STREAMS per process (the pool gives the parallelism)
    ov_hint: str = "LATENCY"
    ov_streams: int = 1

    def key(self) -> str:
        """The part of the OCR cache key these settings make (defaults spelled out too)."""
        return ";".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))

    def params(self) -> dict:
        """RapidOCR's `params` for these settings (models: the ones inside the wheel only)."""
        from pathlib import Path

        import rapidocr

        models = Path(rapidocr.__file__).parent / "models"
        p = {
            "Global.log_level": "error",
            "Global.max_side_len": self.max_side,
            "Det.limit_type": self.det_limit_type,
            "Det.limit_side_len": self.det_limit_side,
            "Rec.rec_batch_num": self.rec_batch,
        }
        if self.backend == "onnxruntime":
            p.update({
                "EngineConfig.onnxruntime.intra_op_num_threads": self.intra_threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": self.inter_threads,
                "EngineConfig.onnxruntime.enable_cpu_mem_arena": self.mem_arena,
            })
        else:
            # OpenVINO reads the same ONNX files; naming them keeps rapidocr from fetching its own
            from rapidocr import EngineType

            ov = EngineType.OPENVINO
            p.update({
                "Det.engine_type": ov, "Rec.engine_type": ov, "Cls.engine_type": ov,
                "Det.model_path": str(models / "PP-OCRv6_det_small.onnx"),
                "Rec.model_path": str(models / "PP-OCRv6_rec_small.onnx"),
                "Cls.model_path": str(models / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"),
                "EngineConfig.openvino.inference_num_threads": self.intra_threads,
                "EngineConfig.openvino.num_streams": self.ov_streams,
                "EngineConfig.openvino.performance_hint": self.ov_hint,
            })
        return p

    def ov_numerics(self) -> dict:
        """OpenVINO CPU properties that change the numbers computed (rapidocr passes none of them)."""
        if self.backend != "openvino" or self.ov_precision == "auto":
            return {}
        return {"INFERENCE_PRECISION_HINT": self.ov_precision, "EXECUTION_MODE_HINT": "ACCURACY",
                "DYNAMIC_QUANTIZATION_GROUP_SIZE": "0", "CPU_DENORMALS_OPTIMIZATION": "NO"}

    def ov_scheduling(self) -> dict:
        """OpenVINO CPU properties that decide where the work runs, not what it computes (so they are
        not part of the cache key). Pinning is off: each pool process compiles its models alone and
        pins its one inference thread to the first core it sees free, which is the same core in
        every process, so two workers on two cores shared one (bench/engines.py, 8 pages: 1.1 cores
        busy pinned, 1.8 unpinned, the same text)."""
        if self.backend != "openvino":
            return {}
        return {"ENABLE_CPU_PINNING": "NO"}


# Measured by bench/engines.py (bench/results/engines.md, engines-notes.md): OpenVINO runs the same ONNX
# models as onnxruntime from the wheel and read the same text on every page compared (bench/backend_compare.py:
# the 71 pages of the test fixture cache, the benchmark pages) for 0.74-0.86x its CPU time a page. Precision
# is pinned to f32 (ov_numerics), so a CPU with bf16 does not read differently. Every smaller detector or
# page input tried (1600-1800 px) was faster but lost held-out fields, so the detector stays as shipped.
DEFAULT = RapidSettings(backend="openvino")


def parse(spec: str, base: RapidSettings = DEFAULT) -> RapidSettings:
    """``name=value,...`` applied to `base`; a bad name or value is a clear error."""
    spec = (spec or "").strip()
    if not spec:
        return base
    types = {f.name: f.type for f in fields(RapidSettings)}
    changes = {}
    for part in spec.split(","):
        name, sep, value = part.strip().partition("=")
        name = name.strip()
        if not sep or name not in types:
            raise EngineError(f"{ENV}: 未知的 RapidOCR 设置 “{part}”。Unknown setting {part!r}; "
                              f"known: {', '.join(types)}")
        value = value.strip()
        kind = types[name]
        try:
            if kind in ("int", int):
                changes[name] = int(value)
            elif kind in ("bool", bool):
                changes[name] = value.lower() in ("1", "true", "yes", "on")
            else:
                changes[name] = value
        except ValueError as exc:
            raise EngineError(f"{ENV}: “{part}” 的值无效。Bad value in {part!r}") from exc
    out = replace(base, **changes)
    if (out.backend not in BACKENDS or out.graph_opt not in GRAPH_LEVELS or out.det_limit_type not in ("min", "max")
            or out.ov_precision not in OV_PRECISIONS or out.ov_hint not in OV_HINTS):
        raise EngineError(f"{ENV}: 设置值无效。Bad value in {spec!r}: backend {BACKENDS}, graph_opt {GRAPH_LEVELS}, "
                          f"det_limit_type min|max, ov_precision {OV_PRECISIONS}, ov_hint {OV_HINTS}")
    return out


def current() -> RapidSettings:
    """`DEFAULT` with this process's `DOCINTAKE_RAPIDOCR` overrides."""
    return parse(os.environ.get(ENV, ""))


def describe(s: RapidSettings) -> str:
    """Only the fields that differ from `RapidSettings()` (for tables and logs)."""
    base = asdict(RapidSettings())
    diff = {k: v for k, v in asdict(s).items() if base[k] != v}
    return ", ".join(f"{k}={v}" for k, v in diff.items()) or "as before tuning (onnxruntime, detector as shipped)"
