"""Video export consultations with the overseas offices.

- ``models``: offices, availability, bookings, claims, history, reminders;
- ``offices``: ``config/offices.toml`` and ``config/closures.toml`` loading;
- ``public_holidays``: Korea's and each office country's holidays (``holidays``);
- ``slots``: free slots from wall-clock rules (pure, DST-safe, UTC inside);
- ``availability``: the database read into ``slots`` terms;
- ``claims``: the rows (and PostgreSQL locks) that make double booking impossible;
- ``booking``: requesting, with idempotency; ``changes``: confirm, decline,
  cancel, expire, reschedule as compare-and-swaps;
- ``invites``, ``video``, ``notify``: iCalendar, meeting links, e-mails;
- ``web``, ``office_web``, ``people_web``, ``pages``, ``api``, ``reports``:
  pages, the JSON API and staff reports; ``demo_data``, ``cli``.
"""
