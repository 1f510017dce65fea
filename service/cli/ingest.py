"""``commonground ingest`` and ``commonground export``: data in and out of the store."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import click

from ingest.export import EXPORT_FORMATS
from ingest.export import write_export
from ingest.pipeline import ingest_file
from ingest.readers import FORMATS
from ingest.records import IngestError
from service.usecases import wiring
from store import StoreUnavailableError
from store.reads import export_records

if TYPE_CHECKING:
    from ingest.pipeline import IngestReport

INGEST_KINDS = ("meetings", "associations", "opportunities", "postcodes")
PROGRESS_FROM = 3000


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
    for r in report.rejected[:20]:
        lines.append(f"  row {r['row']}: {r.get('field')}: {r['reason']}")
    if len(report.rejected) > 20:  # noqa: PLR2004
        lines.append(f"  ... {len(report.rejected) - 20} more problems: use --report FILE")
    if report.warnings:
        lines.append(f"  warnings: {len(report.warnings)}"
                     + ("" if len(report.warnings) <= 5 else " (first 5)"))  # noqa: PLR2004
        lines.extend(f"  - {w}" for w in report.warnings[:5])
    return "\n".join(lines)


def register(main: click.Group, context: Any) -> None:
    """Add the data commands to the ``commonground`` group; ``context`` gives app and store."""

    @main.command("ingest")
    @click.argument("kind", type=click.Choice(INGEST_KINDS))
    @click.argument("path", type=click.Path(exists=True, path_type=Path))
    @click.option("--format", "fmt", type=click.Choice(FORMATS),
                  help="Reader to use (default: detected from the file).")
    @click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
    @click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write the report to FILE (.json, or .csv of rejected rows).")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.option("--strict", is_flag=True, help="Exit 1 when any row was rejected.")
    @click.option("--source", help="Source name, part of each record's key "
                                   "(default: <format>:<file name>).")
    @click.option("--id-column", help="Column that holds each record's id (tabular files).")
    @click.option("--service-area", envvar="COMMONGROUND_SERVICE_AREA", show_envvar=True,
                  help="Named area (GB, england, world, ...) or west,south,east,north box.")
    @click.pass_context
    def ingest(ctx: click.Context, kind: str, path: Path, fmt: str | None, dry_run: bool,
               report_path: Path | None, as_json: bool, strict: bool, source: str | None,
               id_column: str | None, service_area: str | None) -> None:
        """Load meetings, associations, opportunities or a postcode table from PATH.

        Every row ends inserted, updated, unchanged or rejected (with its row number, field
        and reason). One transaction: a failure or Ctrl-C changes nothing.
        """
        app = context.app(ctx)
        store = context.store(ctx)
        if kind == "postcodes":
            try:
                n = wiring.load_postcode_file(store, path, source=source)
            except (ValueError, OSError) as exc:
                raise click.ClickException(str(exc)) from None
            _emit_json_or_text({"postcodes": n, "file": path.name}, as_json,
                               f"{n} postcodes and districts loaded from {path.name}")
            return
        try:
            area = wiring.service_area(service_area or app.config["SERVICE_AREA"])
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--service-area") from None
        bar: Any = None
        try:
            with contextlib.ExitStack() as stack:
                def on_read(n: int) -> None:
                    nonlocal bar
                    if n >= PROGRESS_FROM and not as_json:
                        bar = stack.enter_context(
                            click.progressbar(length=n, label="validating", file=None))

                report = ingest_file(
                    store, path, kind,  # type: ignore[arg-type]
                    area=area, geocoder=wiring.geocoder(context.context(ctx)),
                    fmt=fmt, source=source, dry_run=dry_run,
                    interest_lookup=wiring.interest_lookup, id_column=id_column,
                    progress=lambda n: bar.update(n) if bar is not None else None,
                    on_read=on_read,
                )
        except IngestError as exc:
            raise click.ClickException(str(exc)) from None
        except StoreUnavailableError as exc:
            raise click.ClickException(str(exc)) from None
        if report_path is not None:
            try:
                report.write(report_path)
            except IngestError as exc:
                raise click.BadParameter(str(exc), param_hint="--report") from None
        _emit_json_or_text(report.to_dict(), as_json, _summary(report))
        if strict and report.rejected:
            ctx.exit(1)

    @main.command("export")
    @click.argument("kind", type=click.Choice(("meetings", "associations", "opportunities")))
    @click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="geojson",
                  show_default=True, help="Output format (meeting-guide: meetings only).")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                  required=True, help="File to write.")
    @click.pass_context
    def export(ctx: click.Context, kind: str, fmt: str, output: Path) -> None:
        """Write every stored record of KIND to a file."""
        store = context.store(ctx)
        try:
            n = write_export(export_records(store, kind), output, fmt=fmt, kind=kind)
        except IngestError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{n} {kind} written to {output} ({fmt})")


def _emit_json_or_text(data: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text)
