"""Everything ``export-hub demo`` (``make run``) wires, in one place.

The demo sits above the application: it loads demo data through the features'
own services, connects the demo companies to the in-process marketplace
emulators, and builds the web app with its demo-only start-up work. Nothing
below it (features, jobs, connectors, the emulators) imports it.

* :mod:`export_hub.demo.command`: ``export-hub demo``, the demo steps in order,
  and :func:`~export_hub.demo.command.create_demo_app`.
* :mod:`export_hub.demo.base`: :class:`~export_hub.demo.base.DemoLogin` and the
  step signature every step module shares.
* one module per step: :mod:`~export_hub.demo.catalog` (companies, users,
  products), :mod:`~export_hub.demo.amazon` and :mod:`~export_hub.demo.ebay`
  (demo sellers, the emulators served inside the web app),
  :mod:`~export_hub.demo.listings` (products to list, the first sync) and
  :mod:`~export_hub.demo.consultations`.
"""
