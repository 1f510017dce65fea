"""The project's vocabulary, one home for the rules every layer shares.

Pure Python (the standard library, Babel for dates in UK English, and :mod:`geo` for the
service area): no SQL, no Flask, no click, no folium. Every package of ours may import it; it
imports nothing of ours but geo/.

- :mod:`domain.schedule`: weekdays (0 = Sunday ... 6 = Saturday), their parsing and
  formatting, times of day and the parts of the day (morning, afternoon, evening).
- :mod:`domain.status`: statuses, attendance modes, roles, location precisions.
- :mod:`domain.fields`: the field rules of needs (opportunities), associations and
  meetings, with one wording, used by ingest and by the partner pages and API.
- :mod:`domain.errors`: :class:`~domain.errors.Problem` and the errors that carry them.
- :mod:`domain.labels`: what each field is called where people read about it.
- :mod:`domain.dates`: dates and times as people in the UK write them (the house style).
"""
