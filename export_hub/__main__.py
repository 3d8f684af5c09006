from export_hub.cli import run

run()
