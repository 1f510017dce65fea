"""``commonground ingest`` and ``commonground export``: data in and out of the store.

One contract for every kind (meetings, associations, opportunities, postcodes): output paths
are checked and the store is checked before anything is read; ``--dry-run`` writes nothing;
``--report``, ``--rejected``, ``--strict``, ``--format``, ``--service-area`` and ``--json``
mean the same for each kind or are refused with a message. A progress bar (on stderr) shows
for anything that takes more than about a second, unless ``--json`` or not on a terminal.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import click
from tqdm import tqdm

from ingest.export import EXPORT_FORMATS
from ingest.export import write_export
from ingest.pipeline import ingest_file
from ingest.postcodes import ingest_postcodes
from ingest.readers import FORMATS
from ingest.records import IngestError
from ingest.report import check_output_path
from service.usecases import wiring
from service.usecases.errors import BadParameterError
from store import StoreUnavailableError
from store.reads import export_records

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ingest.report import IngestReport

INGEST_KINDS = ("meetings", "associations", "opportunities", "postcodes", "demand")
PROGRESS_DELAY_S = 1.0


@contextlib.contextmanager
def progress_bar(label: str, *, quiet: bool) -> Iterator[Any]:
    """A tqdm bar on stderr that appears only after about a second, never when ``quiet``.

    It is silent when stderr is not a terminal (pipes, cron, tests).
    """
    with tqdm(desc=label, unit=" rows", delay=PROGRESS_DELAY_S, file=sys.stderr,
              disable=quiet or not sys.stderr.isatty(), leave=False,
              dynamic_ncols=True) as bar:
        yield bar


def _summary(report: IngestReport) -> str:
    lines = [
        f"{'dry run of ' if report.dry_run else ''}{report.kind} from {report.file} "
        f"({report.format}, source {report.source!r})",
        f"  {'total':<10}{report.total:>8}",
        f"  {'inserted':<10}{report.inserted:>8}",
        f"  {'updated':<10}{report.updated:>8}",
        f"  {'unchanged':<10}{report.unchanged:>8}",
        f"  {'rejected':<10}{report.rejected_rows:>8}",
    ]
    if report.dry_run:
        lines.append("  (dry run: nothing was written)")
    for r in report.rejected[:20]:
        lines.append(f"  row {r['row']}: {r.get('field')}: {r['reason']}")
    if report.rejected_count > 20:  # noqa: PLR2004
        lines.append(f"  ... {report.rejected_count - 20} more problems; by reason:")
        lines.extend(f"  {n:>8}  {reason}" for reason, n in report.reasons.most_common(10))
        lines.append("  (the first 1,000 in full with --report FILE, all with --rejected FILE)")
    if report.merged:
        lines.append(f"  merged with stored records: {len(report.merged)}")
        lines.extend(f"  - row {m['row']} -> {m['record']}: {m['evidence']}"
                     for m in report.merged[:5])
    if report.warnings_count:
        lines.append(f"  warnings: {report.warnings_count}"
                     + ("" if report.warnings_count <= 5 else " (first 5)"))  # noqa: PLR2004
        lines.extend(f"  - {w}" for w in report.warnings[:5])
    return "\n".join(lines)


def _refused(kind: str, *, fmt: str | None, id_column: str | None,
             overwrite_locations: bool, replace: bool) -> str | None:
    """Why an option does not apply to ``kind``, or ``None``."""
    if kind != "postcodes":
        return f"--replace applies to postcode tables, not to {kind}" if replace else None
    if fmt not in (None, "csv"):
        return (f"--format {fmt!r} does not apply to postcode tables: they are read as CSV "
                "(ONSPD, NSPL, Code-Point Open, doogal, postcode/lat/lon)")
    if id_column:
        return "--id-column does not apply to postcode tables"
    if overwrite_locations:
        return "--overwrite-locations does not apply to postcode tables: use --replace"
    return None


def register(main: click.Group, context: Any) -> None:
    """Add the data commands to the ``commonground`` group; ``context`` gives settings and store."""

    @main.command("ingest")
    @click.argument("kind", type=click.Choice(INGEST_KINDS))
    @click.argument("path", type=click.Path(exists=True, path_type=Path))
    @click.option("--format", "fmt", type=click.Choice(FORMATS),
                  help="Reader to use (default: detected from the file).")
    @click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
    @click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write the report to FILE (.json, or .csv of rejected rows).")
    @click.option("--rejected", "rejected_path",
                  type=click.Path(dir_okay=False, path_type=Path),
                  help="Write every rejected problem to FILE.csv (the report keeps 1,000).")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.option("--strict", is_flag=True, help="Exit 1 when any row was rejected.")
    @click.option("--source", help="Source name, part of each record's key "
                                   "(default: <format>:<file name>).")
    @click.option("--id-column", help="Column that holds each record's id (tabular files).")
    @click.option("--service-area", envvar="COMMONGROUND_SERVICE_AREA", show_envvar=True,
                  help="Named area (GB, england, world, ...) or west,south,east,north box.")
    @click.option("--overwrite-locations", is_flag=True,
                  help="Let a less precise position (postcode, district, town) replace a "
                       "more precise stored one.")
    @click.option("--replace", is_flag=True,
                  help="postcodes: allow the table to move many stored centroids.")
    @click.pass_context
    def ingest(ctx: click.Context, kind: str, path: Path, fmt: str | None, dry_run: bool,
               report_path: Path | None, rejected_path: Path | None, as_json: bool,
               strict: bool, source: str | None, id_column: str | None,
               service_area: str | None, overwrite_locations: bool, replace: bool) -> None:
        """Load meetings, associations, opportunities, a postcode table or demand from PATH.

        Every row ends inserted, updated, unchanged or rejected (with its row number, field
        and reason). One transaction: a failure or Ctrl-C changes nothing.

        demand: a CSV of population points (lat/lon, BNG x/y or H3 cells, a population, a
        name; postcodes with counts, output-area or LSOA population-weighted centroids).
        Coverage then uses, per postcode district, the finest table loaded there; --source
        names the table (loading the same name again replaces it).
        """
        try:
            check_output_path(report_path, "--report")
            check_output_path(rejected_path, "--rejected", suffixes=(".csv",))
        except IngestError as exc:
            raise click.BadParameter(str(exc)) from None
        refused = _refused(kind, fmt=fmt, id_column=id_column, replace=replace,
                           overwrite_locations=overwrite_locations)
        if refused:
            raise click.UsageError(refused)
        settings = context.context(ctx).settings
        if kind == "demand":
            _ingest_demand(settings, path, source, service_area, as_json=as_json, dry_run=dry_run)
            return
        store = context.ready_store(ctx)
        try:
            area = wiring.service_area(
                service_area or ("UK" if kind == "postcodes" else settings["SERVICE_AREA"]))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--service-area") from None
        try:
            with contextlib.ExitStack() as stack:
                bar = stack.enter_context(progress_bar(f"{kind}", quiet=as_json))
                sink = None
                if rejected_path is not None:
                    sink = stack.enter_context(
                        rejected_path.open("w", newline="", encoding="utf-8"))

                def on_read(n: int) -> None:
                    bar.reset(total=n * 2)

                if kind == "postcodes":
                    report = ingest_postcodes(
                        store, path, source=source, dry_run=dry_run, replace=replace,
                        area=area, progress=bar.update, on_read=on_read, rejected_to=sink)
                else:
                    report = ingest_file(
                        store, path, kind,  # type: ignore[arg-type]
                        area=area, geocoder=wiring.geocoder(context.context(ctx)),
                        fmt=fmt, source=source, dry_run=dry_run,
                        interest_lookup=wiring.interest_lookup, id_column=id_column,
                        progress=bar.update, on_read=on_read,
                        overwrite_locations=overwrite_locations, rejected_to=sink,
                    )
        except IngestError as exc:
            raise click.ClickException(str(exc)) from None
        except StoreUnavailableError as exc:
            raise click.ClickException(str(exc)) from None
        if report_path is not None:
            report.write(report_path)
        _emit_json_or_text(report.to_dict(), as_json, _summary(report))
        if strict and report.rejected_count:
            ctx.exit(1)

    _register_export(main, context)


def _register_export(main: click.Group, context: Any) -> None:
    @main.command("export")
    @click.argument("kind", type=click.Choice(("meetings", "associations", "opportunities",
                                               "demand")))
    @click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="geojson",
                  show_default=True, help="Output format (meeting-guide: meetings only).")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                  required=True, help="File to write.")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    @click.pass_context
    def export(ctx: click.Context, kind: str, fmt: str, output: Path, as_json: bool) -> None:
        """Write every stored record of KIND to a file (demand: the demand coverage uses, CSV)."""
        if not output.parent.is_dir():
            msg = f"the folder {str(output.parent)!r} does not exist; create it"
            raise click.BadParameter(msg, param_hint="--output")
        if kind == "demand":
            _export_demand(context.context(ctx).settings, output)
            return
        store = context.ready_store(ctx)
        try:
            with progress_bar(f"export {kind}", quiet=as_json) as bar:
                records = export_records(store, kind)
                bar.reset(total=len(records))
                n = write_export(records, output, fmt=fmt, kind=kind)
                bar.update(n)
        except IngestError as exc:
            raise click.ClickException(str(exc)) from None
        _emit_json_or_text({"kind": kind, "written": n, "file": str(output), "format": fmt},
                           as_json, f"{n} {kind} written to {output} ({fmt})")


def _ingest_demand(settings: Any, path: Path, source: str | None, service_area: str | None, *,
                   as_json: bool, dry_run: bool) -> None:
    from service.usecases import coverage as coverage_cases  # noqa: PLC0415 - maps, on use

    area = service_area or settings["SERVICE_AREA"]
    name = source or path.name.split(".")[0]
    try:
        report = coverage_cases.load_demand(path, area=area, data_dir=settings["DATA_DIR"],
                                            name=name, dry_run=dry_run)
    except BadParameterError as exc:
        raise click.ClickException(str(exc)) from None
    _emit_json_or_text(report, as_json,
                       f"{report['demand']:,} demand points ({report['population']:,} people) "
                       f"{'checked' if dry_run else f'loaded as {name!r}'} from {path.name}")


def _export_demand(settings: Any, output: Path) -> None:
    from service.usecases import coverage as coverage_cases  # noqa: PLC0415 - maps, on use

    frame, source = coverage_cases.demand_table(area=settings["SERVICE_AREA"],
                                                data_dir=settings["DATA_DIR"])
    try:
        frame.to_csv(output, index=False)
    except OSError as exc:
        msg = f"cannot write {output}: {exc}"
        raise click.ClickException(msg) from None
    click.echo(f"{len(frame):,} demand points ({int(frame['population'].sum()):,} people; "
               f"{source}) written to {output}")


def _emit_json_or_text(data: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text)
