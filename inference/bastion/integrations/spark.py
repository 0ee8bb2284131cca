"""Score a Spark DataFrame with ``DataFrame.mapInArrow``.

Each executor process builds its Guard once (cached per process and guard spec) and
scores Arrow batches in slices. Rows are never dropped: a bad value (null, invalid UTF-8)
gets ``error`` set and null result columns.

    from bastion.integrations.spark import guard_scorer, output_schema
    scored = df.mapInArrow(guard_scorer("text"), output_schema(df.schema))

or simply ``scan_dataframe(df, "text")``. See ``docs/spark.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bastion.errors import ConfigError
from bastion.scoring import cached_guard, score_values

if TYPE_CHECKING:
    import pyarrow as pa

RESULT_FIELDS = ("action", "injection_score", "pii", "redacted_text", "error")


def output_schema(input_schema: Any) -> Any:
    """The Spark schema ``mapInArrow`` returns: the input's fields plus the result columns.

    >>> from pyspark.sql.types import StructType, StructField, StringType  # doctest: +SKIP
    >>> output_schema(StructType([StructField("text", StringType())])).fieldNames()  # doctest: +SKIP
    ['text', 'action', 'injection_score', 'pii', 'redacted_text', 'error']
    """
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    # Spark resolves names case-insensitively by default: an input "Error" column would make
    # the scored frame's "error" ambiguous, unselectable and unwritable
    clash = [f for f in input_schema.fieldNames() if f.lower() in RESULT_FIELDS]
    if clash:
        raise ConfigError(f"input already has result column(s) {', '.join(clash)}; rename or drop them first")
    return StructType(
        [
            *input_schema.fields,
            StructField("action", StringType(), True),
            StructField("injection_score", DoubleType(), True),
            StructField("pii", StringType(), True),
            StructField("redacted_text", StringType(), True),
            StructField("error", StringType(), True),
        ]
    )


@dataclass(frozen=True)
class GuardScorer:
    """A picklable ``mapInArrow`` function: ``Iterator[RecordBatch] -> Iterator[RecordBatch]``.

    ``guard`` is a :class:`bastion.config.GuardSpec` string (``None``: shipped models;
    ``"tasks=pii"``; a YAML path that exists on the executors; or ``"module:function"``).
    Only the spec travels to executors, never a built Guard.
    """

    column: str = "text"
    guard: str | None = None
    batch_size: int = 256

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        guard = cached_guard(self.guard)
        for batch in batches:
            if self.column not in batch.schema.names:
                raise ConfigError(f"column {self.column!r} not in {batch.schema.names}")
            # Arrow batches can hold 10k rows: score them in slices to bound memory
            for start in range(0, batch.num_rows, self.batch_size):
                yield self._score(guard, batch.slice(start, self.batch_size))

    def _score(self, guard: Any, batch: pa.RecordBatch) -> pa.RecordBatch:
        import pyarrow as pa

        scores = score_values(guard, batch.column(self.column).to_pylist(), pii_as_json=True)
        cols: dict[str, list[Any]] = {k: [] for k in RESULT_FIELDS}
        for s in scores:
            if isinstance(s, str):
                for k in RESULT_FIELDS:
                    cols[k].append(s if k == "error" else None)
            else:
                for k in RESULT_FIELDS:
                    cols[k].append(s.get(k))
        arrays = [
            *batch.columns,
            pa.array(cols["action"], pa.string()),
            pa.array(cols["injection_score"], pa.float64()),
            pa.array(cols["pii"], pa.string()),
            pa.array(cols["redacted_text"], pa.string()),
            pa.array(cols["error"], pa.string()),
        ]
        names = [*batch.schema.names, *RESULT_FIELDS]
        return pa.RecordBatch.from_arrays(arrays, names=names)


def guard_scorer(column: str = "text", *, guard: str | None = None, batch_size: int = 256) -> GuardScorer:
    """The function to pass to ``DataFrame.mapInArrow`` (with :func:`output_schema`)."""
    if batch_size <= 0:
        raise ConfigError("batch_size must be positive")
    return GuardScorer(column, guard, batch_size)


def scan_dataframe(df: Any, column: str = "text", *, guard: str | None = None, batch_size: int = 256) -> Any:
    """``df`` with the result columns added, one Guard per executor process.

    >>> scored = scan_dataframe(spark.read.parquet("s3://bucket/prompts/"), "text")  # doctest: +SKIP
    >>> scored.groupBy("action").count().show()  # doctest: +SKIP
    """
    if column not in df.columns:
        raise ConfigError(f"column {column!r} not in {df.columns}")
    return df.mapInArrow(guard_scorer(column, guard=guard, batch_size=batch_size), output_schema(df.schema))


__all__ = ["GuardScorer", "guard_scorer", "output_schema", "scan_dataframe"]
